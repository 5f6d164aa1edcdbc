package dev.podswitch.agent.state;

import dev.podswitch.control.model.ClusterChange;
import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ModelSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClusterStateStoreTest
{
    @TempDir
    Path directory;

    private static Map<String, Object> policy(final String value)
    {
        return Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
            "metadata", Map.of("name", "p-" + value.toLowerCase().replace('.', '-'), "namespace", "default"),
            "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("flag", value))));
    }

    @Test
    void shouldBringBackPoliciesWhoseLabelValuesLookLikeOtherTypes() throws Exception
    {
        final ClusterStateStore store = new ClusterStateStore(directory);
        final ClusterModel first = new ClusterModel(table -> { });
        first.journal(store);
        final List<String> tricky = List.of("True", "Null", "007", "0x1F", "1e3", "yes", "~");
        for (final String value : tricky.subList(0, 6))
        {
            first.apply(new ClusterChange.ApplyNetworkPolicy(policy(value)));
        }
        first.apply(new ClusterChange.PutNamespace("prod", Map.of("env", "True")));

        final ClusterModel second = new ClusterModel(table -> { });
        second.apply(ClusterStateStore.restoring(store.load()));
        final ModelSnapshot restored = second.snapshot();
        assertEquals(6, restored.policies().size());
        for (final String value : tricky.subList(0, 6))
        {
            assertEquals(Map.of("flag", value), restored.policies().get("default/p-" + value.toLowerCase().replace('.', '-'))
                .policy().podSelector().matchLabels(), "the label value " + value + " comes back as the same string");
        }
        assertEquals("True", restored.namespaces().get("prod").labels().get("env"));
    }

    @Test
    void shouldRefuseToLoadADamagedFileRatherThanStartEmpty() throws Exception
    {
        Files.writeString(directory.resolve(ClusterStateStore.FILE_NAME), "{\"networkPolicies\": [");
        assertThrows(IOException.class, () -> new ClusterStateStore(directory).load());
    }
}
