package dev.podswitch.scenarios.load;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.podswitch.scenarios.model.Manifest;
import dev.podswitch.scenarios.model.Scenario;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes the loader with any file a user may hand {@code podswitch validate}, {@code run} or
 * {@code apply -f}: the bytes become a file, which is read as {@code validate} reads it — manifests
 * when {@link ScenarioLoader#looksLikeManifestFile} says so, else a scenario (which may {@code apply}
 * the library's {@code manifests/*.yaml}, present beside it) — and as manifests regardless, as
 * {@code apply -f} reads it. Properties: nothing but a {@link ScenarioException} escapes (no
 * snakeyaml exception, no {@code ClassCastException} from a value of the wrong YAML type), and a
 * ScenarioException names this file, a line and column inside it (line 0 only for a file that is
 * not UTF-8 text, a whole-file problem) and says what is wrong.
 *
 * <p>Seeds in {@code ScenarioLoaderFuzzTestInputs/}: scenarios and manifest files of the library
 * and the loader tests, valid and not.
 */
class ScenarioLoaderFuzzTest
{
    @TempDir
    static Path directory;

    /** The library's manifest files, which its scenarios apply (run from the module directory, as Maven does). */
    private static final Path LIBRARY_MANIFESTS = Path.of("library/policy/manifests");

    @BeforeAll
    static void placeTheManifestsScenariosApply() throws IOException
    {
        final Path manifests = Files.createDirectories(directory.resolve("manifests"));
        try (Stream<Path> files = Files.list(LIBRARY_MANIFESTS))
        {
            for (final Path manifest : files.toList())
            {
                Files.copy(manifest, manifests.resolve(manifest.getFileName().toString()));
            }
        }
    }

    @FuzzTest
    void shouldLoadOrNameFileLineAndFieldWhenGivenAnyFile(final byte[] bytes) throws IOException
    {
        final Path file = Files.write(directory.resolve("scenario.yaml"), bytes);
        final String text = utf8OrNull(bytes);
        try
        {
            if (ScenarioLoader.looksLikeManifestFile(file))
            {
                assertNotNull(ScenarioLoader.loadManifests(file));
            }
            else
            {
                final Scenario scenario = ScenarioLoader.load(file);
                assertNotNull(scenario.name());
            }
        }
        catch (final ScenarioException invalid)
        {
            // A scenario's error may lie in a manifest file it applies: then it names that file.
            if (invalid.file().equals(file))
            {
                assertLocated(invalid, file, text);
            }
            else
            {
                assertTrue(Files.isRegularFile(invalid.file()), invalid::getMessage);
                assertLocated(invalid, invalid.file(), utf8OrNull(Files.readAllBytes(invalid.file())));
            }
        }
        try
        {
            final List<Manifest> manifests = ScenarioLoader.loadManifests(file);
            for (final Manifest manifest : manifests)
            {
                assertNotNull(manifest.describe());
            }
        }
        catch (final ScenarioException invalid)
        {
            assertLocated(invalid, file, text);
        }
    }

    private static void assertLocated(final ScenarioException invalid, final Path file, final String text)
    {
        final String message = invalid.getMessage();
        assertEquals(file, invalid.file(), message);
        assertFalse(invalid.problem() == null || invalid.problem().isBlank(), message);
        assertTrue(message.startsWith(invalid.where().toString()), message);
        if (text == null)
        {
            assertEquals(0, invalid.line(), message);
            assertTrue(message.endsWith("is not UTF-8 text"), message);
            return;
        }
        // snakeyaml may point just past the last line ("found end of stream"); count every line break it may know.
        final long lines = 2 + text.chars().filter(c -> c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029)
            .count();
        if (invalid.line() < 1 || invalid.line() > lines || invalid.column() < 1)
        {
            fail("an error outside the file's " + lines + " lines: " + message);
        }
    }

    /** The text as Files.readString reads it, or null when it is not UTF-8. */
    private static String utf8OrNull(final byte[] bytes)
    {
        try
        {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        }
        catch (final CharacterCodingException notUtf8)
        {
            return null;
        }
    }
}
