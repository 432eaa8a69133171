package dev.tributary.interop;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java producer of the failover tests (test_failover.py): sends a numbered sequence of records
 * to one partition with acks=all and idempotence on, one every --interval-ms, while the test kills
 * the partition's leader, and reports every outcome on stdout, one JSON object a line:
 * <pre>
 *   {"ev":"start","client":"java kafka-clients 4.x"}
 *   {"ev":"ack","i":n,"p":partition,"o":offset}        the broker acknowledged record n
 *   {"ev":"err","i":n,"err":"ExceptionClass: message"} record n failed for good
 *   {"ev":"done","acked":a,"failed":f}                 after flush() and close()
 * </pre>
 * Record n has key "k-n" and value "&lt;prefix&gt;-n". The client's own log (WARN: the retried errors
 * it meets during the failover) goes to stderr.
 *
 * Usage: FailoverProducer --bootstrap H:P[,H:P] --topic T --count N [--interval-ms 20] [--prefix v]
 *        [--partition 0] [--delivery-timeout-ms 60000]
 */
public final class FailoverProducer {
    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

    static synchronized void out(String json) {
        OUT.println(json);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        for (String k : new String[] {"bootstrap", "topic", "count"}) {
            if (!o.containsKey(k)) throw new IllegalArgumentException("--" + k + " is required");
        }
        String topic = o.get("topic"), prefix = o.getOrDefault("prefix", "v");
        int count = Integer.parseInt(o.get("count"));
        int partition = Integer.parseInt(o.getOrDefault("partition", "0"));
        long intervalMs = Long.parseLong(o.getOrDefault("interval-ms", "20"));

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.get("bootstrap"));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "interop-failover-java-" + ProcessHandle.current().pid());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.parseInt(o.getOrDefault("delivery-timeout-ms", "60000")));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        out("{\"ev\":\"start\",\"client\":\"java kafka-clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + "\"}");

        AtomicInteger acked = new AtomicInteger(), failed = new AtomicInteger();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            long next = System.nanoTime();
            for (int i = 0; i < count; i++) {
                final int n = i;
                byte[] key = ("k-" + n).getBytes(StandardCharsets.UTF_8);
                byte[] value = (prefix + "-" + n).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, partition, key, value), (md, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                        out("{\"ev\":\"ack\",\"i\":" + n + ",\"p\":" + md.partition() + ",\"o\":" + md.offset() + "}");
                    } else {
                        failed.incrementAndGet();
                        out("{\"ev\":\"err\",\"i\":" + n + ",\"err\":" + GroupClient.str(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}");
                    }
                });
                next += TimeUnit.MILLISECONDS.toNanos(intervalMs);
                long wait = next - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            }
            producer.flush();
        }
        out("{\"ev\":\"done\",\"acked\":" + acked.get() + ",\"failed\":" + failed.get() + "}");
    }
}
