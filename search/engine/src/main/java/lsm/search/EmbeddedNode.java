package lsm.search;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node on 127.0.0.1, for the tests and the bench (not for production).
 *
 * <p>Usage: {@code java -Xmx512m -cp 'target/classes:target/lib/*' lsm.search.EmbeddedNode HTTP_PORT HOME_DIR}.
 * It prints {@code started http://127.0.0.1:PORT} once HTTP answers, and stops when its standard
 * input closes or it is sent SIGTERM, so a test run that dies never leaves a node behind.
 *
 * <p>The plugins (HTTP and transport over Netty, painless scripts, the common analysers such
 * as synonym_graph and stemmer) are jars on the classpath, handed to {@link Node} as classes:
 * no distribution folder, no plugin installer. Going through {@code Node} rather than
 * OpenSearch's {@code Bootstrap} also means no security manager, no jar-hell check and no
 * production bootstrap checks (heap size, file descriptors, mmap count), which a developer's
 * machine or a CI container would fail.
 */
public final class EmbeddedNode extends Node {

    private static final List<Class<? extends Plugin>> PLUGINS =
        List.of(Netty4Plugin.class, PainlessPlugin.class, CommonAnalysisPlugin.class);

    private EmbeddedNode(Settings settings, Path home) {
        super(InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), home.resolve("config"), () -> "lsm-search"),
              PLUGINS, true);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: EmbeddedNode HTTP_PORT HOME_DIR");
            System.exit(2);
        }
        String port = args[0];
        Path home = Path.of(args[1]).toAbsolutePath();
        Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
            .put("cluster.name", "lsm-search")
            .put("node.name", "lsm-search")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")  // any free port: only this node uses it
            .put("discovery.type", "single-node")
            // A developer's nearly full disk must not turn indices read-only mid-test.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("logger.level", "WARN")
            .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);

        EmbeddedNode node = new EmbeddedNode(settings, home);
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "lsm-search-stop"));
        node.start();
        System.out.println("started http://127.0.0.1:" + port);
        System.out.flush();
        // Stop when the parent goes away (stdin closes) as well as on SIGTERM.
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // ignore anything written
                }
            } catch (Exception ignored) {
                // treat as closed
            }
            System.exit(0);
        }, "lsm-search-stdin");
        watcher.setDaemon(true);
        watcher.start();
        stopped.await();
    }
}
