import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Copies a jar, rewriting its Java 5 class files (version 49 and older) as Java 7 class
 * files (version 51), with the stack map frames those carry. Run by
 * build-image.sh, on JDK 24+ (the Class-File API), as
 * {@code java src/image/UpgradeOldClassFiles.java IN.jar OUT.jar}.
 *
 * <p>Why: picocli ships Java 5 class files, and the JDK's AOT cache and class-data
 * sharing leave out every "old" class (older than version 50) that the training run
 * linked ("Old class has been linked", HotSpot's {@code SystemDictionaryShared}: the old
 * verifier such a class needs keeps no verification constraints for the cache to check
 * at run time). So all of picocli was loaded, verified and run cold at every start of
 * the image. The bytecode itself is unchanged; the Class-File API re-emits each method
 * and computes its frames.
 *
 * <p>Every rewritten class is then loaded and initialised from the new jar in a class
 * loader of its own, which verifies it with the frames: a frame this program got wrong
 * stops the build here rather than failing a start later.
 */
public final class UpgradeOldClassFiles {

    /**
     * Version 50 brought stack map frames, but HotSpot falls back to the old verifier when
     * a version 50 class fails with its frames ({@code Verifier::verify}: no fail-over
     * from 51 on), so 51 makes a wrong frame a {@code VerifyError} instead.
     */
    private static final int TARGET_VERSION = ClassFile.JAVA_7_VERSION;
    private static final int FIRST_WITH_STACK_MAPS = ClassFile.JAVA_6_VERSION;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java UpgradeOldClassFiles.java IN.jar OUT.jar");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<String> upgraded = rewrite(in, out);
        verify(out, upgraded);
        System.out.println("UpgradeOldClassFiles: " + upgraded.size() + " class files of " + in.getFileName()
                + " rewritten as version " + TARGET_VERSION);
    }

    private static List<String> rewrite(Path in, Path out) throws IOException {
        // Frames need the common superclass of two types; the jar's own classes are found
        // by parsing them from the jar, the JDK's from the running JDK.
        try (URLClassLoader jar = new URLClassLoader(new URL[] {in.toUri().toURL()}, null)) {
            ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(jar))));
            ClassTransform newVersion = (builder, element) -> builder.with(element instanceof ClassFileVersion
                    ? ClassFileVersion.of(TARGET_VERSION, 0) : element);
            // Passing each method's code through a code transform makes the API re-emit it,
            // which is when it generates the frames.
            ClassTransform upgrade = newVersion.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL));
            List<String> upgraded = new ArrayList<>();
            try (ZipInputStream source = new ZipInputStream(Files.newInputStream(in));
                 ZipOutputStream target = new ZipOutputStream(Files.newOutputStream(out))) {
                for (ZipEntry entry; (entry = source.getNextEntry()) != null; ) {
                    byte[] bytes = source.readAllBytes();
                    if (entry.getName().endsWith(".class") && !entry.getName().startsWith("META-INF/")) {
                        ClassModel model = classFile.parse(bytes);
                        if (model.majorVersion() < FIRST_WITH_STACK_MAPS) {
                            bytes = classFile.transformClass(model, upgrade);
                            upgraded.add(model.thisClass().asInternalName().replace('/', '.'));
                        }
                    }
                    ZipEntry copy = new ZipEntry(entry.getName());
                    copy.setTime(entry.getTime());
                    target.putNextEntry(copy);
                    target.write(bytes);
                    target.closeEntry();
                }
            }
            return upgraded;
        }
    }

    private static void verify(Path jar, List<String> classes) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            for (String name : classes) {
                try {
                    Class.forName(name, true, loader); // linking verifies; initialising links
                } catch (LinkageError | ClassNotFoundException e) {
                    System.err.println("UpgradeOldClassFiles: " + name + " does not load after the rewrite: " + e);
                    System.exit(1);
                }
            }
        }
    }
}
