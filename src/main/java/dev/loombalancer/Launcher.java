package dev.loombalancer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The jar's entry point: checks the Java version, then hands over to the real main.
 *
 * <p>Why a separate class: everything else is compiled for Java 21, and an older Java
 * refuses to even load such a class ({@code UnsupportedClassVersionError}, a stack trace
 * that tells a user nothing). This class alone is compiled for Java 8 (see the pom), so
 * any Java can run it and print one clear line instead. It reaches the real main only
 * by reflection, so no Java 21 class is loaded before the check passes.
 */
public final class Launcher {

    /** The first Java feature release with final virtual threads (JEP 444). */
    static final int REQUIRED_FEATURE = 21;

    private static final String MAIN_CLASS = "dev.loombalancer.cli.Main";

    private Launcher() {
    }

    public static void main(String[] args) throws Throwable {
        String problem = versionProblem(System.getProperty("java.specification.version"));
        if (problem != null) {
            System.err.println(problem);
            System.exit(1);
        }
        Method main = Class.forName(MAIN_CLASS).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Returns the one-line message for a Java that is too old, or null when it is new enough.
     *
     * @param specVersion the {@code java.specification.version} property: "1.8", "17", "21", …
     */
    static String versionProblem(String specVersion) {
        int feature = featureOf(specVersion);
        if (feature < 0 || feature >= REQUIRED_FEATURE) {
            return null; // new enough, or a format we do not know: let the JVM decide
        }
        return "Loom Balancer needs Java " + REQUIRED_FEATURE + " or newer; this is Java " + feature
                + " \u2014 set JAVA_HOME or use the runtime image";
    }

    /** Parses "1.8" as 8 and "17" as 17; returns -1 for anything unreadable. */
    static int featureOf(String specVersion) {
        if (specVersion == null) {
            return -1;
        }
        String v = specVersion.startsWith("1.") ? specVersion.substring(2) : specVersion;
        int dot = v.indexOf('.');
        if (dot >= 0) {
            v = v.substring(0, dot);
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
