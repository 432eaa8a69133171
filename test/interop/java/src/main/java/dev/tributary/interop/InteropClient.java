package dev.tributary.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java kafka-clients side of the interop suite. For one compression codec it creates a topic
 * with the Admin API, produces keyed records with headers and explicit timestamps (idempotent
 * producer, the 4.x default), reads them back from the beginning and from an offset with a
 * group-less assigned consumer, and lists offsets (earliest, latest, by timestamp, max timestamp)
 * through both Admin and the consumer. Exits 1 with a message on the first mismatch.
 *
 * Usage: java -jar interop-client.jar <bootstrap> <topic> <codec> [count]
 */
public final class InteropClient {
    static final int FROM = 4;
    static final Duration DEADLINE = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: InteropClient <bootstrap> <topic> <none|gzip|snappy|lz4|zstd> [count]");
            System.exit(2);
        }
        String bootstrap = args[0], topic = args[1], codec = args[2];
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        if (n <= FROM) {
            System.err.println("count must be more than " + FROM);
            System.exit(2);
        }
        try {
            run(bootstrap, topic, codec, n);
            System.out.println("OK java kafka-clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
                + " codec=" + codec + " topic=" + topic + " records=" + n);
        } catch (Mismatch m) {
            System.err.println("MISMATCH: " + m.getMessage());
            System.exit(1);
        }
    }

    static final class Mismatch extends Exception {
        Mismatch(String msg) { super(msg); }
    }

    static void check(boolean ok, String what, Object expected, Object actual) throws Mismatch {
        if (!ok) throw new Mismatch(what + ": expected " + expected + " but got " + actual);
    }

    static void checkEq(String what, Object expected, Object actual) throws Mismatch {
        check(java.util.Objects.equals(expected, actual), what, expected, actual);
    }

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static String key(int i) { return "key-" + i; }

    static String value(String codec, int i) { return codec + ":" + i + ":" + "abcdefgh".repeat(25); }

    static List<Header> headers(String codec, int i) {
        return List.of(new RecordHeader("h-index", b(Integer.toString(i))),
                       new RecordHeader("h-codec", b(codec)),
                       new RecordHeader("h-bin", new byte[] {0, (byte) 0xff, (byte) i}));
    }

    static void run(String bootstrap, String topic, String codec, int n) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        Properties common = new Properties();
        common.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        common.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        common.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);

        try (Admin admin = Admin.create(common)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            TopicDescription d = describeWhenVisible(admin, topic);
            checkEq("partition count", 1, d.partitions().size());
            check(d.partitions().get(0).leader() != null, "partition 0 leader", "a broker", null);
        }

        long base = System.currentTimeMillis() - 600_000L;
        Properties pp = new Properties();
        pp.putAll(common);
        pp.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
        pp.put(ProducerConfig.LINGER_MS_CONFIG, 50);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
        pp.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(producer.send(new ProducerRecord<>(topic, 0, base + i * 1000L, b(key(i)), b(value(codec, i)), headers(codec, i))));
            }
            producer.flush();
            for (int i = 0; i < n; i++) {
                RecordMetadata md = fs.get(i).get(30, TimeUnit.SECONDS);
                checkEq("produced offset of record " + i, (long) i, md.offset());
                checkEq("produced timestamp of record " + i, base + i * 1000L, md.timestamp());
            }
        }

        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        cp.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        cp.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            checkEq("partitionsFor", 1, consumer.partitionsFor(topic).size());
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            checkRecords("from beginning", poll(consumer, n), codec, base, 0, n);
            consumer.seek(tp, FROM);
            checkRecords("from offset " + FROM, poll(consumer, n - FROM), codec, base, FROM, n);

            checkEq("consumer beginningOffsets", 0L, consumer.beginningOffsets(List.of(tp)).get(tp));
            checkEq("consumer endOffsets", (long) n, consumer.endOffsets(List.of(tp)).get(tp));
            Map<TopicPartition, Long> q = new HashMap<>();
            q.put(tp, base + 3 * 1000L - 500);
            OffsetAndTimestamp oat = consumer.offsetsForTimes(q).get(tp);
            check(oat != null, "offsetsForTimes", "offset 3", null);
            checkEq("offsetsForTimes offset", 3L, oat.offset());
            checkEq("offsetsForTimes timestamp", base + 3000L, oat.timestamp());
            q.put(tp, base + n * 1000L);
            checkEq("offsetsForTimes past the end", null, consumer.offsetsForTimes(q).get(tp));
        }

        try (Admin admin = Admin.create(common)) {
            checkEq("admin earliest", 0L, listOffset(admin, tp, OffsetSpec.earliest()).offset());
            checkEq("admin latest", (long) n, listOffset(admin, tp, OffsetSpec.latest()).offset());
            ListOffsetsResult.ListOffsetsResultInfo byTs = listOffset(admin, tp, OffsetSpec.forTimestamp(base + (n - 3) * 1000L));
            checkEq("admin forTimestamp offset", (long) n - 3, byTs.offset());
            checkEq("admin forTimestamp timestamp", base + (n - 3) * 1000L, byTs.timestamp());
            ListOffsetsResult.ListOffsetsResultInfo max = listOffset(admin, tp, OffsetSpec.maxTimestamp());
            checkEq("admin maxTimestamp offset", (long) n - 1, max.offset());
            checkEq("admin maxTimestamp timestamp", base + (n - 1) * 1000L, max.timestamp());
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** A created topic can take a moment to reach a broker's metadata (Kafka's KRaft brokers lag). */
    static TopicDescription describeWhenVisible(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) throw e;
                Thread.sleep(100);
            }
        }
    }

    static ListOffsetsResult.ListOffsetsResultInfo listOffset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get(30, TimeUnit.SECONDS);
    }

    static List<ConsumerRecord<byte[], byte[]>> poll(KafkaConsumer<byte[], byte[]> consumer, int want) throws Mismatch {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (out.size() < want && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) out.add(r);
        }
        check(out.size() >= want, "records consumed within " + DEADLINE, want, out.size());
        return out;
    }

    static void checkRecords(String what, List<ConsumerRecord<byte[], byte[]>> got, String codec, long base, int from, int n) throws Mismatch {
        checkEq(what + ": record count", n - from, got.size());
        for (int j = 0; j < got.size(); j++) {
            int i = from + j;
            ConsumerRecord<byte[], byte[]> r = got.get(j);
            String at = what + ", record " + i;
            checkEq(at + " offset", (long) i, r.offset());
            checkEq(at + " partition", 0, r.partition());
            checkEq(at + " key", key(i), new String(r.key(), StandardCharsets.UTF_8));
            checkEq(at + " value", value(codec, i), new String(r.value(), StandardCharsets.UTF_8));
            checkEq(at + " timestamp", base + i * 1000L, r.timestamp());
            checkEq(at + " timestampType", "CreateTime", r.timestampType().toString());
            List<Header> want = headers(codec, i);
            Header[] have = r.headers().toArray();
            checkEq(at + " header count", want.size(), have.length);
            for (int h = 0; h < want.size(); h++) {
                checkEq(at + " header " + h + " key", want.get(h).key(), have[h].key());
                check(Arrays.equals(want.get(h).value(), have[h].value()), at + " header " + want.get(h).key() + " value",
                      Arrays.toString(want.get(h).value()), Arrays.toString(have[h].value()));
            }
        }
    }
}
