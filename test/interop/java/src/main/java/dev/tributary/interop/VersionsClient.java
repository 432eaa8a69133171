package dev.tributary.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Runs a day's worth of Java kafka-clients traffic against one broker, so the interop suite can see
 * which version of each API the clients send (test_java_versions.py reads them from the clients'
 * own DEBUG log, "Sending X request with header RequestHeader(apiKey=X, apiVersion=N, ...)"):
 * Admin (CreateTopics, Metadata, DescribeCluster, DescribeConfigs, IncrementalAlterConfigs,
 * CreatePartitions, ListOffsets, DeleteRecords, ListGroups, group describes, offsets, deletes), an
 * idempotent producer (InitProducerId, Produce), a classic group consumer (FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, OffsetFetch, Fetch, OffsetCommit, LeaveGroup) and a
 * group.protocol=consumer one (ConsumerGroupHeartbeat). At the end it prints, on stdout,
 * "LATEST <API>=<n> ..." with the newest stable version this client has of every API
 * (ApiKeys.latestVersion(false)) and "OK".
 *
 * Usage: java -cp interop-client.jar dev.tributary.interop.VersionsClient <bootstrap> <topic-prefix>
 */
public final class VersionsClient {
    static final Duration DEADLINE = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: VersionsClient <bootstrap> <topic-prefix>");
            System.exit(2);
        }
        try {
            run(args[0], args[1]);
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("FAIL " + t);
            System.exit(1);
        }
        StringBuilder latest = new StringBuilder("LATEST");
        for (ApiKeys k : ApiKeys.values()) latest.append(' ').append(k.name()).append('=').append(k.latestVersion(false));
        System.out.println(latest);
        System.out.println("OK");
        System.exit(0);
    }

    static void waitUntil(BooleanSupplier ok, String what) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) throw new IllegalStateException("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    static void run(String bootstrap, String prefix) throws Exception {
        String topic = prefix + "-t";
        String classicGroup = prefix + "-classic";
        String consumerGroup = prefix + "-consumer";
        Properties ap = new Properties();
        ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(ap)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            waitUntil(() -> {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size() == 1;
                } catch (Exception e) {
                    return false;
                }
            }, "the topic to be described");
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS);
            admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET))))
                .all().get(30, TimeUnit.SECONDS);
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get(30, TimeUnit.SECONDS);

            produce(bootstrap, topic);
            TopicPartition p0 = new TopicPartition(topic, 0);
            admin.listOffsets(Map.of(p0, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS);
            admin.listOffsets(Map.of(p0, OffsetSpec.maxTimestamp())).all().get(30, TimeUnit.SECONDS);
            admin.deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(1))).all().get(30, TimeUnit.SECONDS);

            consume(bootstrap, topic, classicGroup, "classic");
            consume(bootstrap, topic, consumerGroup, "consumer");

            admin.listGroups().all().get(30, TimeUnit.SECONDS);
            admin.describeConsumerGroups(List.of(classicGroup, consumerGroup)).all().get(30, TimeUnit.SECONDS);
            admin.listConsumerGroupOffsets(classicGroup).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            admin.alterConsumerGroupOffsets(classicGroup, Map.of(p0, new OffsetAndMetadata(2))).all().get(30, TimeUnit.SECONDS);
            admin.deleteConsumerGroupOffsets(classicGroup, Set.of(p0)).all().get(30, TimeUnit.SECONDS);
            admin.deleteConsumerGroups(List.of(classicGroup)).all().get(30, TimeUnit.SECONDS);
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        }
    }

    static void produce(String bootstrap, String topic) throws Exception {
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) { // idempotent: the 4.x default
            for (int p = 0; p < 2; p++) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(topic, p, null, ("v" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Joins a group of one, reads everything, commits, and leaves. */
    static void consume(String bootstrap, String topic, String group, String protocol) throws Exception {
        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cp.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cp.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp)) {
            Map<Integer, Long> seen = new HashMap<>();
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override public void onPartitionsRevoked(Collection<TopicPartition> ps) { }

                @Override public void onPartitionsAssigned(Collection<TopicPartition> ps) { }
            });
            long end = System.nanoTime() + DEADLINE.toNanos();
            // partition 0 starts at 1 (DeleteRecords), partition 1 at 0: 2 + 3 records
            while (seen.values().stream().mapToLong(Long::longValue).sum() < 5) {
                if (System.nanoTime() > end) throw new IllegalStateException(protocol + " consumer got only " + seen);
                consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.merge(r.partition(), 1L, Long::sum));
            }
            consumer.commitSync();
            consumer.committed(Set.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1)));
            Map<Integer, Long> sorted = new TreeMap<>(seen);
            System.out.println(protocol + " group consumed " + sorted);
        }
    }
}
