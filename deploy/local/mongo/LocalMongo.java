// The local stack's MongoDB-compatible store: mongo-java-server on a memory or H2 backend.
//
//   java LocalMongo serve [--host H] [--port P] [--backend memory|h2] [--file PATH]
//   java LocalMongo ping  [--url mongodb://localhost:27017/?directConnection=true]
//
// Why a launcher: the library's own main classes bind localhost:27017 and report MongoDB 3.6,
// which PyMongo 4.x refuses (it needs wire version 9, MongoDB 4.4).
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

public final class LocalMongo {
    private static final MongoVersion MONGO_4_4 = new MongoVersion() {
        public List<Integer> getVersionArray() { return List.of(4, 4, 0); }
        public int getWireVersion() { return 9; }
    };

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: LocalMongo serve|ping [--option value ...]");
            System.exit(2);
        }
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        if (args[0].equals("ping")) System.exit(ping(options.getOrDefault("url", "mongodb://localhost:27017/")));
        serve(options);
    }

    private static void serve(Map<String, String> options) {
        String backendName = options.getOrDefault("backend", "memory");
        MongoBackend backend = switch (backendName) {
            case "memory" -> new MemoryBackend();
            case "h2" -> new H2Backend(options.get("file"));
            default -> throw new IllegalArgumentException("unknown backend " + backendName);
        };
        MongoServer server = new MongoServer(backend.version(MONGO_4_4));
        String host = options.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(options.getOrDefault("port", "27017"));
        server.bind(host, port);
        // SIGTERM closes the clients, then the backend (H2 writes its last changes to the file).
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        System.out.printf("mongo-java-server (%s backend) listening on %s:%d%n", backendName, host, port);
    }

    private static int ping(String url) {
        var settings = com.mongodb.MongoClientSettings.builder()
            .applyConnectionString(new com.mongodb.ConnectionString(url))
            .applyToClusterSettings(b -> b.serverSelectionTimeout(2, TimeUnit.SECONDS))
            .applyToSocketSettings(b -> b.connectTimeout(2, TimeUnit.SECONDS).readTimeout(3, TimeUnit.SECONDS))
            .build();
        try (var client = MongoClients.create(settings)) {
            client.getDatabase("admin").runCommand(new Document("ping", 1));
            return 0;
        } catch (RuntimeException error) {
            System.err.println("ping failed: " + error.getMessage());
            return 1;
        }
    }
}
