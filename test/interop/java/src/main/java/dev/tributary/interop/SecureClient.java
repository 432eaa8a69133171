package dev.tributary.interop;

import java.io.FileInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Java kafka-clients over one secured listener each (security interop, issue 11). For every
 * (bootstrap, client properties file) pair: Admin creates a 2-partition topic and describes it, an
 * idempotent producer (acks=all) sends records to both partitions, a consumer in a group
 * (subscribe, classic protocol) reads them all and commits, and Admin reads the group's committed
 * offsets back. The properties file holds the client's security settings as a Kafka user writes
 * them (security.protocol, sasl.*, ssl.*). One JVM for all listeners keeps the test short.
 *
 * Usage: java -cp interop-client.jar dev.tributary.interop.SecureClient <topic-prefix> <name>=<bootstrap>,<props-file> ...
 * Prints "OK <name> ..." per listener; exits 1 with "MISMATCH <name>: ..." on the first failure.
 */
public final class SecureClient {
    static final int N = 20;
    static final Duration DEADLINE = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SecureClient <topic-prefix> <name>=<bootstrap>,<props-file> ...");
            System.exit(2);
        }
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('='), comma = args[i].indexOf(',', eq);
            String name = args[i].substring(0, eq);
            String bootstrap = args[i].substring(eq + 1, comma);
            Properties sec = new Properties();
            try (InputStream in = new FileInputStream(args[i].substring(comma + 1))) {
                sec.load(in);
            }
            long t = System.nanoTime();
            try {
                run(bootstrap, sec, args[0] + "-" + name.toLowerCase());
            } catch (InteropClient.Mismatch m) {
                System.err.println("MISMATCH " + name + ": " + m.getMessage());
                System.exit(1);
            } catch (Exception e) {
                System.err.println("MISMATCH " + name + ": " + e);
                e.printStackTrace();
                System.exit(1);
            }
            System.out.printf("OK %s java kafka-clients %s security.protocol=%s sasl.mechanism=%s (%d ms)%n", name,
                org.apache.kafka.common.utils.AppInfoParser.getVersion(), sec.getProperty("security.protocol"),
                sec.getProperty("sasl.mechanism", "-"), (System.nanoTime() - t) / 1_000_000);
        }
    }

    static void run(String bootstrap, Properties sec, String topic) throws Exception {
        Properties common = new Properties();
        common.putAll(sec);
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        common.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        String group = "g-" + topic;

        try (Admin admin = Admin.create(withApiTimeout(common))) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            TopicDescription d = InteropClient.describeWhenVisible(admin, topic);
            InteropClient.checkEq("partition count", 2, d.partitions().size());
        }

        Properties pp = new Properties();
        pp.putAll(common);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
        pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
        Set<String> sent = new TreeSet<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                String v = "secret-" + i;
                sent.add(v);
                fs.add(producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, v)));
            }
            producer.flush();
            for (int i = 0; i < N; i++) {
                RecordMetadata md = fs.get(i).get(30, TimeUnit.SECONDS);
                InteropClient.checkEq("offset of record " + i, (long) (i / 2), md.offset());
            }
        }

        Properties cp = new Properties();
        cp.putAll(common);
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cp.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        Set<String> got = new TreeSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + DEADLINE.toNanos();
            while (got.size() < N && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) got.add(r.value());
            }
            InteropClient.checkEq("records read in group " + group, sent, got);
            consumer.commitSync(Duration.ofSeconds(30));
        }

        try (Admin admin = Admin.create(withApiTimeout(common))) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            for (int p = 0; p < 2; p++) {
                OffsetAndMetadata o = committed.get(new TopicPartition(topic, p));
                InteropClient.checkEq("committed offset of partition " + p, (long) (N / 2), o == null ? null : o.offset());
            }
        }
    }

    static Properties withApiTimeout(Properties p) {
        Properties q = new Properties();
        q.putAll(p);
        q.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        return q;
    }
}
