package dev.podswitch.scenarios.load;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.podswitch.scenarios.load.ScenarioFiles.assertError;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The NetworkPolicy examples of the team's notes (/work/shared/notes/000_3a55a62cca21f7d5.txt),
 * pasted exactly as they are there: markdown lost their indentation (matchLabels beside
 * podSelector, port: deeper than protocol:) and kept its {@code **}. Both stop YAML itself further
 * down, so the loader checks the text above the syntax error too and reports the earlier problem
 * first.
 */
class NotesPolicyLoaderTest
{
    @Test
    void shouldNameFileLineFieldAndIndentationWhenTheNotesFirstExampleIsLoaded()
    {
        final Path file = ScenarioFiles.resource("notes-db-policy.yaml");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "notes-db-policy.yaml", 7, 5, "spec.matchLabels",
            "notes-db-policy.yaml:7:5: document 1: spec.matchLabels: unknown field \"matchLabels\"",
            "it probably belongs under spec.podSelector — check its indentation",
            "notes-db-policy.yaml:21:13: invalid YAML: mapping values are not allowed here",
            "\"port:\" is indented deeper than \"protocol:\" on the line above");
    }

    @Test
    void shouldBlameMarkdownWhenTheNotesIpBlockExampleIsLoaded()
    {
        final Path file = ScenarioFiles.resource("notes-ipblock-policy.yaml");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "notes-ipblock-policy.yaml", 7, 5, "spec.matchLabels", "belongs under spec.podSelector",
            "notes-ipblock-policy.yaml:13:6: invalid YAML",
            "`**` looks like markdown emphasis pasted in from notes: remove it");
    }

    @Test
    void shouldBlameMarkdownAtTheStarsWhenNothingAboveThemIsWrong()
    {
        final Path file = ScenarioFiles.resource("markdown-policy.yaml");

        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioLoader.loadManifests(file));

        assertError(ex, "markdown-policy.yaml", 9, 6, "", "`**` looks like markdown emphasis pasted in from notes");
    }
}
