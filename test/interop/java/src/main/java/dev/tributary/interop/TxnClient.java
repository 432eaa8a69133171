package dev.tributary.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Java kafka-clients transactions against the broker (test_txn_java.py). One scenario a run; each
 * creates its own topics, checks everything itself and prints "OK ..." (exit 0), or "MISMATCH: ..."
 * (exit 1). Reads are group-less (assign) from the beginning until the consumer's position reaches
 * the partition's end: the log end offset for read_uncommitted, the last stable offset for
 * read_committed (equal once no transaction is open).
 * <pre>
 *   commit   one transaction over 3 partitions, committed: read_committed sees every record once
 *   abort    an aborted transaction then a committed one: read_committed sees only the second,
 *            read_uncommitted both
 *   markers  commit, abort, commit on one partition: the offsets each isolation level returns (the
 *            three markers at 3, 7 and 11 are never returned) and the position past the last marker
 *   fence    a second producer of the same transactional.id fences the first, aborting its open
 *            transaction; the zombie's next send and its commit fail
 *   timeout  transaction.timeout.ms 2000, one send, then silence: the broker aborts it; the
 *            producer's commit then fails (its exception's cause chain is printed: "timeout-commit=...")
 *   ctp      consume-transform-produce: a subscribed group consumer, the outputs and
 *            sendOffsetsToTransaction(offsets, groupMetadata) in one transaction; the group's
 *            offset shows only after the commit; a second round aborted leaves it as it was
 * </pre>
 * Usage: java -cp interop-client.jar dev.tributary.interop.TxnClient &lt;scenario&gt; &lt;bootstrap&gt; &lt;topic-prefix&gt;
 */
public final class TxnClient {
    static final Duration DEADLINE = Duration.ofSeconds(30);
    static String bootstrap;

    static final class Mismatch extends Exception {
        Mismatch(String msg) { super(msg); }
    }

    static void checkEq(String what, Object expected, Object actual) throws Mismatch {
        if (!java.util.Objects.equals(expected, actual)) throw new Mismatch(what + ": expected " + expected + " but got " + actual);
    }

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static String s(byte[] b) { return b == null ? null : new String(b, StandardCharsets.UTF_8); }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: TxnClient <commit|abort|markers|fence|timeout|ctp> <bootstrap> <topic-prefix>");
            System.exit(2);
        }
        bootstrap = args[1];
        String prefix = args[2];
        String extra;
        try {
            switch (args[0]) {
                case "commit" -> extra = commit(prefix);
                case "abort" -> extra = abort(prefix);
                case "markers" -> extra = markers(prefix);
                case "fence" -> extra = fence(prefix);
                case "timeout" -> extra = timeout(prefix);
                case "ctp" -> extra = ctp(prefix);
                default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
            }
        } catch (Mismatch m) {
            System.err.println("MISMATCH: " + m.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("OK java kafka-clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
            + " scenario=" + args[0] + " " + extra);
    }

    // ---- clients ----

    static Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        return Admin.create(p);
    }

    static void createTopic(String topic, int partitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            // Kafka's KRaft broker can lag behind CreateTopics in its metadata
            waitFor("topic " + topic + " with " + partitions + " partitions in metadata", () -> {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                        .filter(pi -> pi.leader() != null && pi.leader().id() >= 0).count() == partitions;
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    static KafkaProducer<byte[], byte[]> txnProducer(String txnId, Integer timeoutMs) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "interop-txn-java-" + txnId);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        if (timeoutMs != null) p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
        return new KafkaProducer<>(p);
    }

    static KafkaProducer<byte[], byte[]> plainProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    static KafkaConsumer<byte[], byte[]> consumer(String isolation, String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (group != null) p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    static void waitFor(String what, BooleanSupplier cond) throws Exception {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new Mismatch("timed out after " + DEADLINE.toSeconds() + "s waiting for " + what);
            Thread.sleep(100);
        }
    }

    /** What one read from the beginning returned: "p:offset:value" a record, and each partition's final position. */
    record Read(List<String> records, Map<Integer, Long> positions, Map<Integer, Long> ends) {
        List<String> values() {
            List<String> vs = new ArrayList<>();
            for (String r : records) vs.add(r.split(":", 3)[2]);
            return vs;
        }
    }

    /**
     * Waits until no transaction is open on these partitions: the last stable offset (ListOffsets
     * read_committed) reaches the log end offset. commitTransaction and abortTransaction return once
     * the coordinator has logged the decision; it writes the markers after that.
     */
    static void waitStable(List<TopicPartition> tps) throws Exception {
        try (KafkaConsumer<byte[], byte[]> rc = consumer("read_committed", null);
             KafkaConsumer<byte[], byte[]> ru = consumer("read_uncommitted", null)) {
            waitFor("the LSO of " + tps + " to reach the log end", () -> rc.endOffsets(tps).equals(ru.endOffsets(tps)));
        }
    }

    /**
     * Once no transaction is open on the topic, reads every partition from the beginning,
     * group-less, until each position reaches the end offset this isolation level reports
     * (read_committed: the LSO, then the log end). Fails if a deadline passes first.
     */
    static Read readAll(String topic, int partitions, String isolation) throws Exception {
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < partitions; i++) tps.add(new TopicPartition(topic, i));
        waitStable(tps);
        try (KafkaConsumer<byte[], byte[]> c = consumer(isolation, null)) {
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps);
            List<String> got = new ArrayList<>();
            long end = System.nanoTime() + DEADLINE.toNanos();
            while (true) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    got.add(r.partition() + ":" + r.offset() + ":" + s(r.value()));
                }
                boolean done = true;
                for (TopicPartition tp : tps) done &= c.position(tp) >= ends.get(tp);
                if (done) break;
                if (System.nanoTime() > end) {
                    Map<Integer, Long> pos = new java.util.TreeMap<>();
                    for (TopicPartition tp : tps) pos.put(tp.partition(), c.position(tp));
                    throw new Mismatch(isolation + " read of " + topic + " did not reach " + ends + " within "
                        + DEADLINE.toSeconds() + "s: positions " + pos + ", records " + got);
                }
            }
            // by partition, then offset
            got.sort(java.util.Comparator.comparing((String r) -> Integer.parseInt(r.split(":", 3)[0]))
                .thenComparing(r -> Long.parseLong(r.split(":", 3)[1])));
            Map<Integer, Long> pos = new java.util.TreeMap<>(), endsByP = new java.util.TreeMap<>();
            for (TopicPartition tp : tps) {
                pos.put(tp.partition(), c.position(tp));
                endsByP.put(tp.partition(), ends.get(tp));
            }
            return new Read(got, pos, endsByP);
        }
    }

    static List<String> sorted(Collection<String> xs) {
        List<String> l = new ArrayList<>(xs);
        java.util.Collections.sort(l);
        return l;
    }

    static List<String> values(String prefix, int from, int count) {
        List<String> l = new ArrayList<>();
        for (int i = from; i < from + count; i++) l.add(prefix + "-" + i);
        return l;
    }

    /** Sends prefix-from..prefix-(from+count-1), round robin over the partitions, and waits for every ack. */
    static void sendAll(KafkaProducer<byte[], byte[]> p, String topic, int partitions, String prefix, int from, int count) throws Exception {
        List<Future<RecordMetadata>> fs = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            fs.add(p.send(new ProducerRecord<>(topic, i % partitions, b("k-" + i), b(prefix + "-" + i))));
        }
        p.flush();
        for (Future<RecordMetadata> f : fs) f.get();
    }

    static String id(String prefix, String what) { return prefix + "-" + what + "-" + UUID.randomUUID().toString().substring(0, 8); }

    // ---- scenarios ----

    static String commit(String prefix) throws Exception {
        String topic = prefix + "-commit";
        createTopic(topic, 3);
        try (KafkaProducer<byte[], byte[]> p = txnProducer(id(prefix, "commit"), null)) {
            p.initTransactions();
            p.beginTransaction();
            sendAll(p, topic, 3, "c", 0, 12);
            p.commitTransaction();
        }
        Read rc = readAll(topic, 3, "read_committed");
        checkEq("read_committed values", sorted(values("c", 0, 12)), sorted(rc.values()));
        // 4 records and one COMMIT marker per partition: the position is past the marker
        checkEq("read_committed positions", Map.of(0, 5L, 1, 5L, 2, 5L), rc.positions());
        Read ru = readAll(topic, 3, "read_uncommitted");
        checkEq("read_uncommitted records", rc.records(), ru.records());
        checkEq("read_uncommitted positions", rc.positions(), ru.positions());
        return "records=" + rc.records().size();
    }

    static String abort(String prefix) throws Exception {
        String topic = prefix + "-abort";
        createTopic(topic, 2);
        try (KafkaProducer<byte[], byte[]> p = txnProducer(id(prefix, "abort"), null)) {
            p.initTransactions();
            p.beginTransaction();
            sendAll(p, topic, 2, "aborted", 0, 6);
            p.abortTransaction();
            Read rc = readAll(topic, 2, "read_committed");
            checkEq("read_committed after the abort", List.of(), rc.records());
            checkEq("read_committed positions past the ABORT markers", Map.of(0, 4L, 1, 4L), rc.positions());
            p.beginTransaction();
            sendAll(p, topic, 2, "committed", 6, 4);
            p.commitTransaction();
        }
        Read rc = readAll(topic, 2, "read_committed");
        checkEq("read_committed values", sorted(values("committed", 6, 4)), sorted(rc.values()));
        checkEq("read_committed positions", Map.of(0, 7L, 1, 7L), rc.positions());
        Read ru = readAll(topic, 2, "read_uncommitted");
        List<String> all = new ArrayList<>(values("aborted", 0, 6));
        all.addAll(values("committed", 6, 4));
        checkEq("read_uncommitted values", sorted(all), sorted(ru.values()));
        return "read_committed=" + rc.records().size() + " read_uncommitted=" + ru.records().size();
    }

    static String markers(String prefix) throws Exception {
        String topic = prefix + "-markers";
        createTopic(topic, 1);
        try (KafkaProducer<byte[], byte[]> p = txnProducer(id(prefix, "markers"), null)) {
            p.initTransactions();
            p.beginTransaction();
            sendAll(p, topic, 1, "t1", 0, 3); // offsets 0-2, COMMIT at 3
            p.commitTransaction();
            p.beginTransaction();
            sendAll(p, topic, 1, "t2", 3, 3); // offsets 4-6, ABORT at 7
            p.abortTransaction();
            p.beginTransaction();
            sendAll(p, topic, 1, "t3", 6, 3); // offsets 8-10, COMMIT at 11
            p.commitTransaction();
        }
        Read rc = readAll(topic, 1, "read_committed");
        checkEq("read_committed records", List.of("0:0:t1-0", "0:1:t1-1", "0:2:t1-2", "0:8:t3-6", "0:9:t3-7", "0:10:t3-8"), rc.records());
        checkEq("read_committed end (LSO) and position", List.of(Map.of(0, 12L), Map.of(0, 12L)), List.of(rc.ends(), rc.positions()));
        Read ru = readAll(topic, 1, "read_uncommitted");
        checkEq("read_uncommitted records", List.of("0:0:t1-0", "0:1:t1-1", "0:2:t1-2", "0:4:t2-3", "0:5:t2-4",
            "0:6:t2-5", "0:8:t3-6", "0:9:t3-7", "0:10:t3-8"), ru.records());
        checkEq("read_uncommitted end and position", List.of(Map.of(0, 12L), Map.of(0, 12L)), List.of(ru.ends(), ru.positions()));
        return "read_committed=" + rc.records().size() + " read_uncommitted=" + ru.records().size();
    }

    static boolean fencedOrEpoch(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) return true;
        }
        return false;
    }

    static String chain(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (b.length() > 0) b.append("/");
            b.append(t.getClass().getSimpleName());
        }
        return b.toString();
    }

    static String fence(String prefix) throws Exception {
        String topic = prefix + "-fence", txnId = id(prefix, "fence");
        createTopic(topic, 1);
        String sendErr, commitErr;
        KafkaProducer<byte[], byte[]> zombie = txnProducer(txnId, null);
        try {
            zombie.initTransactions();
            zombie.beginTransaction();
            sendAll(zombie, topic, 1, "zombie", 0, 3); // in the log, its transaction open
            try (KafkaProducer<byte[], byte[]> successor = txnProducer(txnId, null)) {
                successor.initTransactions(); // fences the zombie and aborts its transaction
                successor.beginTransaction();
                sendAll(successor, topic, 1, "successor", 0, 3);
                successor.commitTransaction();
            }
            Future<RecordMetadata> late = zombie.send(new ProducerRecord<>(topic, 0, b("k-late"), b("zombie-late")));
            try {
                zombie.flush();
                late.get();
                sendErr = "none";
            } catch (ExecutionException | org.apache.kafka.common.KafkaException e) {
                sendErr = chain(e);
                if (!fencedOrEpoch(e)) throw new Mismatch("the zombie's send failed with " + sendErr + ", not fenced: " + e);
            }
            try {
                zombie.commitTransaction();
                throw new Mismatch("the zombie's commitTransaction succeeded after it was fenced");
            } catch (org.apache.kafka.common.KafkaException e) {
                commitErr = chain(e);
                if (!fencedOrEpoch(e)) throw new Mismatch("the zombie's commit failed with " + commitErr + ", not fenced: " + e);
            }
        } finally {
            zombie.close(Duration.ofSeconds(5));
        }
        if (sendErr.equals("none")) throw new Mismatch("the zombie's send after the fence was acknowledged");
        Read rc = readAll(topic, 1, "read_committed");
        checkEq("read_committed values", values("successor", 0, 3), rc.values());
        Read ru = readAll(topic, 1, "read_uncommitted");
        List<String> all = new ArrayList<>(values("zombie", 0, 3));
        all.addAll(values("successor", 0, 3));
        checkEq("read_uncommitted values (the zombie's aborted records, never its late one)", all, ru.values());
        // the zombie's 3 records, its ABORT, the successor's 3 and its COMMIT
        checkEq("end offsets", List.of(Map.of(0, 8L), Map.of(0, 8L)), List.of(rc.ends(), ru.ends()));
        return "zombie-send=" + sendErr + " zombie-commit=" + commitErr;
    }

    static String timeout(String prefix) throws Exception {
        String topic = prefix + "-timeout";
        createTopic(topic, 1);
        String commitErr;
        try (KafkaProducer<byte[], byte[]> p = txnProducer(id(prefix, "timeout"), 2000);
             KafkaConsumer<byte[], byte[]> rc = consumer("read_committed", null);
             KafkaConsumer<byte[], byte[]> ru = consumer("read_uncommitted", null)) {
            p.initTransactions();
            p.beginTransaction();
            sendAll(p, topic, 1, "silent", 0, 4);
            TopicPartition tp = new TopicPartition(topic, 0);
            checkEq("read_uncommitted end with the transaction open", 4L, ru.endOffsets(List.of(tp)).get(tp));
            // the producer goes silent; the broker aborts the transaction once it times out
            // (transaction.abort.timed.out.transaction.cleanup.interval.ms): the ABORT marker at 4,
            // and the LSO moves from 0 to the log end
            waitFor("the broker to abort the timed-out transaction (LSO at the log end, 5)",
                () -> rc.endOffsets(List.of(tp)).get(tp) == 5L);
            checkEq("read_uncommitted end after the abort", 5L, ru.endOffsets(List.of(tp)).get(tp));
            Read read = readAll(topic, 1, "read_committed");
            checkEq("read_committed after the timeout", List.of(), read.records());
            checkEq("read_committed position past the ABORT marker", Map.of(0, 5L), read.positions());
            checkEq("read_uncommitted values", values("silent", 0, 4), readAll(topic, 1, "read_uncommitted").values());
            try {
                p.commitTransaction();
                throw new Mismatch("commitTransaction succeeded after the broker aborted the transaction");
            } catch (org.apache.kafka.common.KafkaException e) {
                commitErr = chain(e); // the test compares it with what Apache Kafka's coordinator answers
                System.err.println("the commit after the timeout failed as expected: " + e);
            }
        }
        checkEq("read_committed after the failed commit", List.of(), readAll(topic, 1, "read_committed").records());
        return "timeout-commit=" + commitErr;
    }

    static Long groupOffset(Admin admin, String group, TopicPartition tp) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        OffsetAndMetadata om = m.get(tp);
        return om == null ? null : om.offset();
    }

    static String ctp(String prefix) throws Exception {
        String in = prefix + "-ctp-in", out = prefix + "-ctp-out", group = id(prefix, "ctp-group");
        createTopic(in, 1);
        createTopic(out, 1);
        TopicPartition tin = new TopicPartition(in, 0);
        try (KafkaProducer<byte[], byte[]> plain = plainProducer()) {
            sendAll(plain, in, 1, "in", 0, 8);
        }
        try (Admin admin = admin();
             KafkaConsumer<byte[], byte[]> c = consumer("read_committed", group);
             KafkaProducer<byte[], byte[]> p = txnProducer(id(prefix, "ctp"), null)) {
            p.initTransactions();
            c.subscribe(List.of(in));
            List<ConsumerRecord<byte[], byte[]>> batch = pollN(c, 8);
            p.beginTransaction();
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                p.send(new ProducerRecord<>(out, 0, r.key(), b("out-" + s(r.value()))));
            }
            p.sendOffsetsToTransaction(Map.of(tin, new OffsetAndMetadata(8)), c.groupMetadata());
            p.flush();
            checkEq("the group's offset with the transaction open", null, groupOffset(admin, group, tin));
            p.commitTransaction();
            waitFor("the group's committed offset 8", () -> {
                try {
                    return Long.valueOf(8).equals(groupOffset(admin, group, tin));
                } catch (Exception e) {
                    return false;
                }
            });
            checkEq("the consumer's committed()", 8L, c.committed(Set.of(tin)).get(tin).offset());

            // a second round, aborted: the offset stays at 8 and no output shows
            try (KafkaProducer<byte[], byte[]> plain = plainProducer()) {
                sendAll(plain, in, 1, "in", 8, 4);
            }
            batch = pollN(c, 4);
            p.beginTransaction();
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                p.send(new ProducerRecord<>(out, 0, r.key(), b("out-" + s(r.value()))));
            }
            p.sendOffsetsToTransaction(Map.of(tin, new OffsetAndMetadata(12)), c.groupMetadata());
            p.flush(); // the outputs in the log, so the abort has something to hide
            p.abortTransaction();
            checkEq("the group's offset after the aborted round", 8L, groupOffset(admin, group, tin));
            checkEq("the consumer's committed() after the aborted round", 8L, c.committed(Set.of(tin)).get(tin).offset());
        }
        List<String> want = new ArrayList<>();
        for (String v : values("in", 0, 8)) want.add("out-" + v);
        Read rc = readAll(out, 1, "read_committed");
        checkEq("read_committed output", want, rc.values());
        checkEq("read_committed output position (8 records, COMMIT, 4 aborted, ABORT)", Map.of(0, 14L), rc.positions());
        return "group=" + group + " output=" + rc.records().size();
    }

    static List<ConsumerRecord<byte[], byte[]>> pollN(KafkaConsumer<byte[], byte[]> c, int n) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (got.size() < n) {
            if (System.nanoTime() > end) throw new Mismatch("consumed " + got.size() + " of " + n + " input records within " + DEADLINE.toSeconds() + "s");
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) got.add(r);
        }
        checkEq("records consumed", n, got.size());
        return got;
    }
}
