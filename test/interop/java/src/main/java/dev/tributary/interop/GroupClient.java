package dev.tributary.interop;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.sqlite.SQLiteConfig;

/**
 * A Java kafka-clients group member driven by the interop suite's group tests (test_groups_*.py).
 * It subscribes to one topic in a group and prints one JSON object a line on stdout (flushed, so a
 * kill -9 loses nothing already reported):
 * <pre>
 *   {"ev":"start","client":"java kafka-clients 4.x","pid":...}
 *   {"ev":"assigned"|"revoked"|"lost","parts":[...],"owned":[...]}   (ConsumerRebalanceListener)
 *   {"ev":"rec","p":partition,"o":offset,"v":"value"}                one per record processed
 *   {"ev":"committed","offsets":{"p":next}}  {"ev":"stored",...}  {"ev":"crash",...}  {"ev":"closed"}
 * </pre>
 * Modes (--mode): watch (prints what it consumes, auto commit), amo (at-most-once: auto commit with a
 * short interval and no commit call; the batch is processed once the auto commit, driven by polls
 * with the partitions paused, covers it), alo (at-least-once: auto commit off, commitSync after
 * processing), eos (the seed's exactly-once: results and next offsets in one SQLite transaction,
 * and onPartitionsAssigned seeks to the offsets in the database). --crash-at N SIGKILLs the
 * process at its N-th record: in amo after the commit and before processing, in alo after
 * processing and before the commit. --protocol consumer uses KIP-848 (group.protocol=consumer).
 * --pattern REGEX (with --protocol consumer, instead of --topic) subscribes with a
 * SubscriptionPattern: the broker resolves the RE2/J regex (ConsumerGroupHeartbeat v1's
 * SubscribedTopicRegex); partitions are then reported as "topic:partition" strings, and a failure
 * of poll() (InvalidRegularExpression, ...) as {"ev":"error","class":...,"msg":...} before exit 1.
 * Records always carry their topic ("t").
 * SIGTERM closes the consumer (leaving the group) and exits 0.
 */
public final class GroupClient {
    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

    static synchronized void out(String json) {
        OUT.println(json);
        OUT.flush();
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String strs(Collection<String> ss) {
        StringBuilder b = new StringBuilder("[");
        for (String s : ss) {
            if (b.length() > 1) b.append(',');
            b.append(str(s));
        }
        return b.append(']').toString();
    }

    static String parts(Collection<Integer> ps) {
        return new TreeSet<>(ps).toString().replace(" ", "");
    }

    static String offsets(Map<Integer, Long> m) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<Integer, Long> e : new TreeMap<>(m).entrySet()) {
            if (b.length() > 1) b.append(',');
            b.append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        return b.append('}').toString();
    }

    static void crash(String fields) throws Exception {
        out("{\"ev\":\"crash\"," + fields + "}");
        long pid = ProcessHandle.current().pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        Runtime.getRuntime().halt(137);
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option, got " + args[i]);
            o.put(args[i].substring(2), args[i + 1]);
        }
        for (String k : List.of("bootstrap", "group")) {
            if (!o.containsKey(k)) throw new IllegalArgumentException("--" + k + " is required");
        }
        if (o.containsKey("topic") == o.containsKey("pattern")) throw new IllegalArgumentException("--topic or --pattern is required");
        return o;
    }

    /** Results and offsets, kept together: one transaction per batch. */
    static final class Db {
        final Connection conn;

        Db(String path) throws SQLException {
            SQLiteConfig cfg = new SQLiteConfig();
            cfg.setBusyTimeout(30000);
            cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
            cfg.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            conn = DriverManager.getConnection("jdbc:sqlite:" + path, cfg.toProperties());
            try (Statement s = conn.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                    + "topic TEXT, part INTEGER, off INTEGER, value TEXT, member TEXT)");
                s.execute("CREATE TABLE IF NOT EXISTS offsets (topic TEXT, part INTEGER, next INTEGER, "
                    + "PRIMARY KEY (topic, part))");
            }
            conn.setAutoCommit(false);
        }

        Long stored(String topic, int part) throws SQLException {
            try (PreparedStatement q = conn.prepareStatement("SELECT next FROM offsets WHERE topic = ? AND part = ?")) {
                q.setString(1, topic);
                q.setInt(2, part);
                try (ResultSet rs = q.executeQuery()) {
                    Long v = rs.next() ? rs.getLong(1) : null;
                    conn.commit();
                    return v;
                }
            }
        }

        Map<Integer, Long> store(String topic, List<ConsumerRecord<byte[], byte[]>> records, String member, int processMs)
                throws Exception {
            Map<Integer, Long> next = new TreeMap<>();
            try (PreparedStatement ins = conn.prepareStatement(
                     "INSERT INTO results (topic, part, off, value, member) VALUES (?, ?, ?, ?, ?)");
                 PreparedStatement up = conn.prepareStatement(
                     "INSERT INTO offsets (topic, part, next) VALUES (?, ?, ?) "
                     + "ON CONFLICT (topic, part) DO UPDATE SET next = excluded.next")) {
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (processMs > 0) Thread.sleep(processMs); // the "processing", inside the transaction
                    ins.setString(1, topic);
                    ins.setInt(2, r.partition());
                    ins.setLong(3, r.offset());
                    ins.setString(4, new String(r.value(), StandardCharsets.UTF_8));
                    ins.setString(5, member);
                    ins.executeUpdate();
                    next.put(r.partition(), r.offset() + 1);
                }
                for (Map.Entry<Integer, Long> e : next.entrySet()) {
                    up.setString(1, topic);
                    up.setInt(2, e.getKey());
                    up.setLong(3, e.getValue());
                    up.executeUpdate();
                }
                conn.commit();
            } catch (Exception e) {
                conn.rollback();
                throw e;
            }
            return next;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = parse(args);
        String topic = o.get("topic"), mode = o.getOrDefault("mode", "watch");
        String protocol = o.getOrDefault("protocol", "classic");
        int crashAt = Integer.parseInt(o.getOrDefault("crash-at", "0"));
        int processMs = Integer.parseInt(o.getOrDefault("process-ms", "0"));
        String member = Long.toString(ProcessHandle.current().pid());
        out("{\"ev\":\"start\",\"client\":\"java kafka-clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion()
            + "\",\"protocol\":" + str(protocol) + ",\"pid\":" + member + "}");

        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, o.get("bootstrap"));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, o.get("group"));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "interop-java-" + member);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 200);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("classic")) { // the consumer protocol takes these from the broker
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Integer.parseInt(o.getOrDefault("session-ms", "6000")));
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Integer.parseInt(o.getOrDefault("heartbeat-ms", "1000")));
            String strategy = o.getOrDefault("strategy", "range");
            p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, switch (strategy) {
                case "range" -> org.apache.kafka.clients.consumer.RangeAssignor.class.getName();
                case "roundrobin" -> org.apache.kafka.clients.consumer.RoundRobinAssignor.class.getName();
                case "sticky" -> org.apache.kafka.clients.consumer.StickyAssignor.class.getName();
                case "cooperative-sticky" -> org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName();
                default -> throw new IllegalArgumentException("unknown strategy " + strategy);
            });
        } else if (o.containsKey("remote-assignor")) {
            p.put(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, o.get("remote-assignor"));
        }
        if (o.containsKey("max-poll-records")) p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.parseInt(o.get("max-poll-records")));
        switch (mode) {
            case "watch" -> { }
            case "amo" -> {
                p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
                p.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, 50);
            }
            case "alo", "eos" -> p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        Db db = mode.equals("eos") ? new Db(o.get("db")) : null;

        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
        CountDownLatch done = new CountDownLatch(1);
        Thread mainThread = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { // SIGTERM: close gracefully
            consumer.wakeup();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                mainThread.interrupt();
            }
        }));

        Set<Integer> owned = new TreeSet<>();
        Set<String> ownedNamed = new TreeSet<>();
        String pattern = o.get("pattern");
        ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
            @Override public void onPartitionsRevoked(Collection<TopicPartition> ps) { report("revoked", ps, false); }

            @Override public void onPartitionsLost(Collection<TopicPartition> ps) { report("lost", ps, false); }

            @Override public void onPartitionsAssigned(Collection<TopicPartition> ps) {
                Map<Integer, Long> seeks = new TreeMap<>();
                if (db != null) { // the seed's exactly-once: start where the database says
                    for (TopicPartition tp : ps) {
                        try {
                            Long stored = db.stored(tp.topic(), tp.partition());
                            if (stored == null) consumer.seekToBeginning(List.of(tp));
                            else consumer.seek(tp, stored);
                            seeks.put(tp.partition(), stored == null ? -1L : stored);
                        } catch (SQLException e) {
                            throw new RuntimeException(e);
                        }
                    }
                }
                report("assigned", ps, true, ",\"seeks\":" + offsets(seeks));
            }

            void report(String ev, Collection<TopicPartition> ps, boolean add) { report(ev, ps, add, ""); }

            void report(String ev, Collection<TopicPartition> ps, boolean add, String extra) {
                if (pattern != null) { // several topics: "topic:partition"
                    List<String> names = new ArrayList<>();
                    for (TopicPartition tp : ps) names.add(tp.topic() + ":" + tp.partition());
                    if (add) ownedNamed.addAll(names);
                    else ownedNamed.removeAll(names);
                    out("{\"ev\":\"" + ev + "\",\"parts\":" + strs(new TreeSet<>(names)) + ",\"owned\":" + strs(ownedNamed) + extra + "}");
                    return;
                }
                List<Integer> nums = new ArrayList<>();
                for (TopicPartition tp : ps) nums.add(tp.partition());
                if (add) owned.addAll(nums);
                else owned.removeAll(nums);
                out("{\"ev\":\"" + ev + "\",\"parts\":" + parts(nums) + ",\"owned\":" + parts(owned) + extra + "}");
            }
        };
        if (pattern != null) consumer.subscribe(new SubscriptionPattern(pattern), listener);
        else consumer.subscribe(List.of(topic), listener);

        int seen = 0;
        boolean failed = false;
        try {
            while (true) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
                if (batch.isEmpty()) continue;
                if (mode.equals("eos")) {
                    for (TopicPartition tp : batch.partitions()) {
                        List<ConsumerRecord<byte[], byte[]>> rs = batch.records(tp);
                        Map<Integer, Long> next = db.store(topic, rs, member, processMs);
                        for (ConsumerRecord<byte[], byte[]> r : rs) printRecord(r);
                        out("{\"ev\":\"stored\",\"offsets\":" + offsets(next) + "}");
                    }
                    continue;
                }
                if (mode.equals("amo")) {
                    Map<TopicPartition, Long> positions = new HashMap<>();
                    for (TopicPartition tp : batch.partitions()) positions.put(tp, consumer.position(tp));
                    consumer.pause(positions.keySet());
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    // nothing of ours commits: poll() (paused, so it returns nothing) runs the auto commit
                    while (!covered(consumer.committed(positions.keySet()), positions)) {
                        if (System.nanoTime() > deadline) throw new IllegalStateException("the auto commit did not cover " + positions);
                        consumer.poll(Duration.ofMillis(20));
                    }
                    consumer.resume(positions.keySet());
                    Map<Integer, Long> c = new TreeMap<>();
                    positions.forEach((tp, off) -> c.put(tp.partition(), off));
                    out("{\"ev\":\"committed\",\"offsets\":" + offsets(c) + "}");
                }
                Map<Integer, Long> next = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    seen++;
                    if (mode.equals("amo") && seen == crashAt) {
                        crash("\"p\":" + r.partition() + ",\"o\":" + r.offset() + ",\"when\":\"committed, not processed\",\"lost\":[" + r.offset() + "]");
                    }
                    if (processMs > 0) Thread.sleep(processMs);
                    printRecord(r);
                    next.put(r.partition(), r.offset() + 1);
                    if (mode.equals("alo") && seen == crashAt) {
                        crash("\"p\":" + r.partition() + ",\"o\":" + r.offset() + ",\"when\":\"processed, not committed\"");
                    }
                }
                if (mode.equals("alo")) {
                    consumer.commitSync();
                    out("{\"ev\":\"committed\",\"offsets\":" + offsets(next) + "}");
                }
            }
        } catch (WakeupException e) {
            // SIGTERM
        } catch (KafkaException e) {
            out("{\"ev\":\"error\",\"class\":" + str(e.getClass().getName()) + ",\"msg\":" + str(String.valueOf(e.getMessage())) + "}");
            failed = true;
        } finally {
            consumer.close(); // leaves the group: it rebalances at once
            out("{\"ev\":\"closed\"}");
            done.countDown();
        }
        if (failed) System.exit(1);
    }

    static boolean covered(Map<TopicPartition, OffsetAndMetadata> committed, Map<TopicPartition, Long> positions) {
        for (Map.Entry<TopicPartition, Long> e : positions.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            if (c == null || c.offset() < e.getValue()) return false;
        }
        return true;
    }

    static void printRecord(ConsumerRecord<byte[], byte[]> r) {
        out("{\"ev\":\"rec\",\"t\":" + str(r.topic()) + ",\"p\":" + r.partition() + ",\"o\":" + r.offset() + ",\"v\":"
            + str(new String(r.value(), StandardCharsets.UTF_8)) + "}");
    }
}
