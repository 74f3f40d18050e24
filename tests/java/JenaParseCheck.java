// Parses one RDF file with Apache Jena's RIOT parser and reports every warning and error:
// Jena is what Fuseki and many pipelines load kg's files with.
//
// Run with Java's single-file source launcher, Jena's jars on the class path:
//   java -cp "$CLASSPATH" tests/java/JenaParseCheck.java ontology/kg.ttl
// The tests use the Jena 2.10 jars that owlready2 ships for Pellet (no other Jena is
// installable here); the language is taken from the file's extension.
//
// Prints each problem on its own line, then a count; exits 0 when there is none, 1 otherwise.

import java.io.FileInputStream;
import java.io.InputStream;

import com.hp.hpl.jena.graph.Triple;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFLanguages;
import org.apache.jena.riot.system.ErrorHandler;
import org.apache.jena.riot.system.ErrorHandlerFactory;
import org.apache.jena.riot.system.StreamRDFBase;

public class JenaParseCheck {
    static int problems = 0;
    static long triples = 0;

    static void report(String kind, String message, long line) {
        problems++;
        System.out.println(kind + ": line " + line + ": " + message);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: JenaParseCheck FILE");
            System.exit(2);
        }
        ErrorHandlerFactory.setDefaultErrorHandler(new ErrorHandler() {
            public void warning(String message, long line, long column) { report("warning", message, line); }
            public void error(String message, long line, long column) { report("error", message, line); }
            public void fatal(String message, long line, long column) { report("fatal", message, line); throw new IllegalStateException(message); }
        });
        Lang lang = RDFLanguages.filenameToLang(args[0]);
        try (InputStream in = new FileInputStream(args[0])) {
            RDFDataMgr.parse(new StreamRDFBase() { public void triple(Triple triple) { triples++; } }, in, "http://example.org/base/", lang, null);
        } catch (IllegalStateException stopped) {
            // counted above
        }
        System.out.println(problems + " problem(s), " + triples + " triples");
        System.exit(problems == 0 ? 0 : 1);
    }
}
