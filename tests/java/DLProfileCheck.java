// Checks one RDF file (Turtle, RDF/XML, N-Triples, ...) against the OWL 2 DL profile with
// the OWL API, the library Protégé is built on.
//
// Run with Java's single-file source launcher, the OWL API jars on the class path:
//   java -cp "$CLASSPATH" tests/java/DLProfileCheck.java ontology/kg.ttl
// To check data together with the ontology, merge them into one file first: parsed
// separately, the data's property assertions would be read as annotations.
//
// Prints each violation on its own line, then a count; exits 0 when there is no violation,
// 1 when there are violations, 2 when the file cannot be loaded.

import java.io.File;
import java.util.List;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class DLProfileCheck {
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DLProfileCheck FILE");
            System.exit(2);
        }
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        // kg's ontology imports nothing; a file that imports something is an error, not a download.
        // Not strict parsing: in strict mode the parser silently drops axioms it cannot type
        // (a cardinality restriction on a chain-derived property vanished), hiding violations.
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.THROW_EXCEPTION)
                .setReportStackTraces(false)
                .setStrict(false);
        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(new File(args[0])), config);
        } catch (Exception | LinkageError e) {
            String message = String.valueOf(e.getMessage());
            System.err.println(args[0] + ": cannot load: " + message.lines().findFirst().orElse(e.toString()));
            System.exit(2);
            return;
        }
        if (ontology.getAxiomCount() == 0) {
            System.err.println(args[0] + ": no axioms loaded");
            System.exit(2);
        }
        List<OWLProfileViolation> violations = new OWL2DLProfile().checkOntology(ontology).getViolations();
        for (OWLProfileViolation violation : violations) {
            System.out.println(violation.getClass().getSimpleName() + ": " + violation.toString().replace('\n', ' '));
        }
        System.out.println(violations.size() + " OWL 2 DL profile violation(s) in " + ontology.getAxiomCount() + " axioms");
        System.exit(violations.isEmpty() ? 0 : 1);
    }
}
