package dev.loombalancer;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The package graph of the main code, checked on the compiled classes: no cycle, and each layer uses only those below it. */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.loombalancer");

    /** No two packages depend on each other, directly or through others. */
    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.loombalancer.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    /**
     * cli → admin → server → proxy and health → policy → pool, with admission, concurrent,
     * logging and net as leaves any layer may use: the admin endpoint sees the balancer, never the
     * other way round, and nothing below the server knows there is one.
     */
    @Test
    void layersDependOnlyDownwards() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy("dev.loombalancer.cli..")
                .layer("admin").definedBy("dev.loombalancer.admin..")
                .layer("server").definedBy("dev.loombalancer.server..")
                .layer("proxy").definedBy("dev.loombalancer.proxy..")
                .layer("health").definedBy("dev.loombalancer.health..")
                .layer("policy").definedBy("dev.loombalancer.policy..")
                .layer("pool").definedBy("dev.loombalancer.pool..")
                .layer("admission").definedBy("dev.loombalancer.admission..")
                .layer("concurrent").definedBy("dev.loombalancer.concurrent..")
                .layer("net").definedBy("dev.loombalancer.net..")
                .layer("logging").definedBy("dev.loombalancer.logging..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("admin").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("server").mayOnlyBeAccessedByLayers("cli", "admin")
                .whereLayer("proxy").mayOnlyBeAccessedByLayers("cli", "server")
                .whereLayer("health").mayOnlyBeAccessedByLayers("cli", "admin", "server")
                .whereLayer("policy").mayOnlyBeAccessedByLayers("cli", "server", "proxy")
                .whereLayer("pool").mayOnlyBeAccessedByLayers("cli", "admin", "server", "proxy", "health", "policy")
                .check(MAIN);
    }
}
