package dev.podswitch.cli.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The house rule from the redesign: no main source file over 400 lines without a reason written
 * at its top ("over 400 lines" in its first 80 lines, with the why). Walks every module's
 * {@code src/main/java} from the repository root (this module's parent), so a file that grows past
 * the limit fails here until it is split or says why it is not.
 */
class SourceFileSizeTest
{
    private static final int LIMIT = 400;
    private static final int REASON_WITHIN = 80;

    @Test
    void shouldGiveAReasonAtTheTopOfEveryMainSourceFileOverFourHundredLines() throws IOException
    {
        final Path root = Path.of("..").toAbsolutePath().normalize();
        final List<String> unexplained = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.walk(root))
        {
            for (final Path file : files.filter(SourceFileSizeTest::isMainJava).toList())
            {
                checked++;
                final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                if (lines.size() > LIMIT && lines.stream().limit(REASON_WITHIN)
                    .noneMatch(line -> line.toLowerCase(Locale.ROOT).contains("over 400 lines")))
                {
                    unexplained.add(root.relativize(file) + " (" + lines.size() + " lines)");
                }
            }
        }
        assertTrue(checked > 300, "the walk found the project's sources: " + checked + " files under " + root);
        assertTrue(unexplained.isEmpty(), "main source files over " + LIMIT + " lines with no reason at their top "
            + "(split them, or say why in the class comment: \"Why this file is over 400 lines: ...\"): " + unexplained);
    }

    private static boolean isMainJava(final Path file)
    {
        final String path = file.toString().replace('\\', '/');
        return path.endsWith(".java") && path.contains("/src/main/java/") && !path.contains("/target/")
            && !path.contains("/.git/");
    }
}
