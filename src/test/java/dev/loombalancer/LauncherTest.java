package dev.loombalancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.DataInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The version gate that runs before any Java 21 class is loaded. */
class LauncherTest {

    /** An old Java gets one clear line naming both versions and what to do. */
    @Test
    void oldJavaGetsOneClearLine() {
        assertEquals("Loom Balancer needs Java 21 or newer; this is Java 17 \u2014 set JAVA_HOME or use the runtime image",
                Launcher.versionProblem("17"));
        assertEquals("Loom Balancer needs Java 21 or newer; this is Java 8 \u2014 set JAVA_HOME or use the runtime image",
                Launcher.versionProblem("1.8"));
    }

    /** Java 21 and anything newer pass. */
    @Test
    void java21AndNewerPass() {
        assertNull(Launcher.versionProblem("21"));
        assertNull(Launcher.versionProblem("25"));
        assertNull(Launcher.versionProblem(System.getProperty("java.specification.version")));
    }

    /** The launcher's class file is Java 8's (major version 52), so old JVMs can load it to say so. */
    @Test
    void launcherLoadsOnOldJavas() throws Exception {
        try (InputStream in = Launcher.class.getResourceAsStream("Launcher.class");
             DataInputStream data = new DataInputStream(in)) {
            assertEquals(0xCAFEBABE, data.readInt());
            data.readUnsignedShort(); // minor
            assertEquals(52, data.readUnsignedShort(), "class-file major version");
        }
    }
}
