package dev.tributary.interop;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Java side of the exactly-once pipeline test (tools/eos, scripts/eos.sh), one subcommand each:
 * <pre>
 *   EosTool input    --bootstrap B --topic T --count N [--rate 500] [--first 0]
 *   EosTool pipeline --bootstrap B --input T --output T --group G --transactional-id X [--max-poll-records 20]
 *                    [--transaction-timeout-ms 10000] [--txn-pause-ms 50]
 *   EosTool dump     --bootstrap B --topic T [--isolation read_committed] [--timeout-ms 60000]
 * </pre>
 * <b>input</b>: an idempotent producer (acks=all) sends records key "in-n", value "v-n", n from --first,
 * at --rate a second, and reports each outcome: {"ev":"ack","id":"in-n","p":P,"o":O} or
 * {"ev":"err","id":"in-n","err":"..."}, then {"ev":"done"}.
 * <p>
 * <b>pipeline</b>: the consume-transform-produce loop with exactly-once semantics: a read_committed
 * consumer in group G, a transactional producer; each poll is one transaction that writes, for
 * every input record, key = the input's key, value = value + "|out", headers in = "P:O" (the input
 * position), txn = "X@pid-start/n" (the transaction) and txn-size = the transaction's record count, then
 * commits the input offsets with sendOffsetsToTransaction(offsets, consumer.groupMetadata()). Halfway
 * through the sends it flushes, prints {"ev":"open","txn":"...","sent":k} and pauses --txn-pause-ms, so
 * that a kill can find a transaction open with records in the log. After
 * each commit: {"ev":"commit","txn":"...","size":k,"offsets":{"P":next,...}}. An abortable error
 * aborts and rewinds to the committed offsets ({"ev":"abort",...}); a fatal one (fenced, ...) exits 3.
 * SIGTERM ends it between transactions (exit 0).
 * <p>
 * <b>dump</b>: assigns every partition of T, reads it from the beginning to its end offset as seen
 * with the isolation level (the last stable offset for read_committed), and prints every record:
 * {"ev":"rec","p":P,"o":O,"key":"...","value":"...","in":"P:O","txn":"...","size":k}, then
 * {"ev":"end","ends":{"P":end,...}}. Exit 2 when the end is not reached within --timeout-ms.
 */
public final class EosTool {
    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

    /** Set by the SIGTERM shutdown hook of the pipeline. */
    static final AtomicBoolean STOPPING = new AtomicBoolean(false);

    static synchronized void out(String json) {
        OUT.println(json);
        OUT.flush();
    }

    static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String err(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) throw new IllegalArgumentException("usage: EosTool input|pipeline|dump --flag value ...");
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        switch (args[0]) {
            case "input" -> input(o);
            case "pipeline" -> {
                int code = pipeline(o);
                // System.exit while the shutdown hook runs (SIGTERM) would wait for it forever.
                if (!STOPPING.get()) System.exit(code);
            }
            case "dump" -> System.exit(dump(o));
            default -> throw new IllegalArgumentException("unknown subcommand " + args[0]);
        }
    }

    static String need(Map<String, String> o, String k) {
        String v = o.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }

    // ------------------------------------------------------------------------------------------

    static void input(Map<String, String> o) throws Exception {
        String topic = need(o, "topic");
        int count = Integer.parseInt(need(o, "count"));
        int first = Integer.parseInt(o.getOrDefault("first", "0"));
        double rate = Double.parseDouble(o.getOrDefault("rate", "500"));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, need(o, "bootstrap"));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "eos-input-" + ProcessHandle.current().pid());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        AtomicInteger acked = new AtomicInteger(), failed = new AtomicInteger();
        long start = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < count; i++) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                String id = "in-" + (first + i);
                producer.send(new ProducerRecord<>(topic, id, "v-" + (first + i)), (md, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                        out("{\"ev\":\"ack\",\"id\":" + q(id) + ",\"p\":" + md.partition() + ",\"o\":" + md.offset() + "}");
                    } else {
                        failed.incrementAndGet();
                        out("{\"ev\":\"err\",\"id\":" + q(id) + ",\"err\":" + q(err(e)) + "}");
                    }
                });
            }
            producer.flush();
        }
        out("{\"ev\":\"done\",\"acked\":" + acked.get() + ",\"failed\":" + failed.get() + "}");
    }

    // ------------------------------------------------------------------------------------------

    static int pipeline(Map<String, String> o) throws Exception {
        String input = need(o, "input"), output = need(o, "output"), txnId = need(o, "transactional-id");
        long pauseMs = Long.parseLong(o.getOrDefault("txn-pause-ms", "50"));
        String instance = txnId + "@" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, need(o, "bootstrap"));
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, need(o, "group"));
        cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "eos-consumer-" + txnId);
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.parseInt(o.getOrDefault("max-poll-records", "20")));
        // A fetch waits up to 200 ms for 4 KB, so that a transaction holds several records.
        cp.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 4096);
        cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        cp.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000);
        cp.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1000);
        cp.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, need(o, "bootstrap"));
        pp.put(ProducerConfig.CLIENT_ID_CONFIG, "eos-producer-" + txnId);
        pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
        pp.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.parseInt(o.getOrDefault("transaction-timeout-ms", "10000")));
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pp.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

        AtomicBoolean stopping = STOPPING;
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp);
        KafkaProducer<String, String> producer = new KafkaProducer<>(pp);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            consumer.wakeup();
            try {
                main.join(20000);
            } catch (InterruptedException ignored) {
            }
        }));
        out("{\"ev\":\"start\",\"instance\":" + q(instance) + "}");
        try {
            producer.initTransactions();
            out("{\"ev\":\"ready\",\"instance\":" + q(instance) + "}");
            consumer.subscribe(List.of(input), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                    out("{\"ev\":\"revoked\",\"partitions\":" + parts.size() + "}");
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                    out("{\"ev\":\"assigned\",\"partitions\":" + q(parts.toString()) + "}");
                }
            });
            long n = 0;
            while (!stopping.get()) {
                ConsumerRecords<String, String> recs;
                try {
                    recs = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                if (recs.isEmpty()) continue;
                n++;
                String tag = instance + "/" + n;
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                try {
                    producer.beginTransaction();
                    int sent = 0;
                    for (ConsumerRecord<String, String> r : recs) {
                        // Halfway, a pause with the transaction open and part of it sent: a kill
                        // then leaves a transaction for the coordinator to abort.
                        if (sent++ == recs.count() / 2 && pauseMs > 0) {
                            producer.flush();
                            out("{\"ev\":\"open\",\"txn\":" + q(tag) + ",\"sent\":" + (sent - 1) + "}");
                            Thread.sleep(pauseMs);
                        }
                        ProducerRecord<String, String> pr = new ProducerRecord<>(output, r.key(), r.value() + "|out");
                        pr.headers().add("in", (r.partition() + ":" + r.offset()).getBytes(StandardCharsets.UTF_8));
                        pr.headers().add("txn", tag.getBytes(StandardCharsets.UTF_8));
                        pr.headers().add("txn-size", Integer.toString(recs.count()).getBytes(StandardCharsets.UTF_8));
                        producer.send(pr);
                        offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    }
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                    producer.commitTransaction();
                } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException | UnsupportedVersionException e) {
                    out("{\"ev\":\"fatal\",\"txn\":" + q(tag) + ",\"err\":" + q(err(e)) + "}");
                    return 3;
                } catch (KafkaException e) {
                    out("{\"ev\":\"abort\",\"txn\":" + q(tag) + ",\"err\":" + q(err(e)) + "}");
                    try {
                        producer.abortTransaction();
                    } catch (KafkaException e2) {
                        out("{\"ev\":\"fatal\",\"txn\":" + q(tag) + ",\"err\":" + q("abortTransaction: " + err(e2)) + "}");
                        return 3;
                    }
                    rewind(consumer);
                    continue;
                }
                StringBuilder b = new StringBuilder();
                for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
                    if (b.length() > 0) b.append(',');
                    b.append(q(Integer.toString(e.getKey().partition()))).append(':').append(e.getValue().offset());
                }
                out("{\"ev\":\"commit\",\"txn\":" + q(tag) + ",\"size\":" + recs.count() + ",\"offsets\":{" + b + "}}");
            }
        } catch (ProducerFencedException e) {
            out("{\"ev\":\"fatal\",\"err\":" + q(err(e)) + "}");
            return 3;
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (KafkaException ignored) {
            }
            producer.close(Duration.ofSeconds(5));
        }
        out("{\"ev\":\"stopped\",\"instance\":" + q(instance) + "}");
        return 0;
    }

    /** After an abort: every assigned partition back to its committed offset (or the beginning). */
    static void rewind(KafkaConsumer<String, String> consumer) {
        Set<TopicPartition> parts = consumer.assignment();
        if (parts.isEmpty()) return;
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(parts, Duration.ofSeconds(30));
        List<TopicPartition> none = new ArrayList<>();
        for (TopicPartition tp : parts) {
            OffsetAndMetadata c = committed.get(tp);
            if (c == null) none.add(tp);
            else consumer.seek(tp, c.offset());
        }
        if (!none.isEmpty()) consumer.seekToBeginning(none);
    }

    // ------------------------------------------------------------------------------------------

    static int dump(Map<String, String> o) throws Exception {
        String topic = need(o, "topic");
        String isolation = o.getOrDefault("isolation", "read_committed");
        long timeoutMs = Long.parseLong(o.getOrDefault("timeout-ms", "60000"));
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, need(o, "bootstrap"));
        cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "eos-dump");
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) parts.add(new TopicPartition(topic, pi.partition()));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts, Duration.ofSeconds(30));
            Set<TopicPartition> left = new HashSet<>(parts);
            left.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
            while (!left.isEmpty()) {
                if (System.currentTimeMillis() > deadline) {
                    StringBuilder b = new StringBuilder();
                    for (TopicPartition tp : left) b.append(tp.partition()).append(" at ").append(consumer.position(tp)).append(" of ").append(ends.get(tp)).append("; ");
                    out("{\"ev\":\"timeout\",\"detail\":" + q(b.toString()) + "}");
                    return 2;
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    out("{\"ev\":\"rec\",\"p\":" + r.partition() + ",\"o\":" + r.offset() + ",\"key\":" + q(r.key()) + ",\"value\":" + q(r.value())
                            + ",\"in\":" + q(header(r, "in")) + ",\"txn\":" + q(header(r, "txn")) + ",\"size\":" + q(header(r, "txn-size")) + "}");
                }
                left.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
            }
            StringBuilder b = new StringBuilder();
            for (TopicPartition tp : parts) {
                if (b.length() > 0) b.append(',');
                b.append(q(Integer.toString(tp.partition()))).append(':').append(ends.get(tp));
            }
            out("{\"ev\":\"end\",\"ends\":{" + b + "}}");
        }
        return 0;
    }

    static String header(ConsumerRecord<String, String> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
