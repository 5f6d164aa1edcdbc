package dev.podswitch.agent.api;

import dev.podswitch.control.model.ClusterModel;
import dev.podswitch.control.model.ModelSnapshot;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What fuzzing the control API found ({@link ControlApiFuzzTest}), each as the smallest request
 * that shows it. Disabled while the finding is open, so the build stays green; enable a test with
 * its fix, and delete the matching case of {@code ControlApiFuzzTest.KnownFindings}.
 */
class ControlApiFuzzFindingsTest
{
    private final ClusterModel model = new ClusterModel(table -> { });
    private final ControlApi api = new ControlApi(model, List::of, Map::of);

    @Test
    void shouldAnswerAStatusWhenThePathHasAMalformedEscape()
    {
        final ModelSnapshot before = model.snapshot();
        final ApiResponse response = assertDoesNotThrow(() -> api.handle("PUT", "/api/v1/namespaces/sta%ing", Map.of(),
            "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"staging\"}}"
                .getBytes(StandardCharsets.UTF_8)));
        assertTrue(response.status() == 400 || response.status() == 404, String.valueOf(response));
        assertSame(before, model.snapshot());
    }

    @Test
    void shouldAnswer400WhenTheQueryHasAMalformedEscape()
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(), new BoundedAggregator(1 << 20),
            new ApiHandler(api, null));
        channel.writeInbound(Unpooled.copiedBuffer("GET /status?dryRun=%zz HTTP/1.1\r\nHost: agent\r\n\r\n",
            StandardCharsets.US_ASCII));
        final ByteBuf answer = channel.readOutbound();
        final String statusLine = answer.toString(StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        answer.release();
        channel.finishAndReleaseAll();
        assertEquals("HTTP/1.1 400 Bad Request", statusLine);
    }

    @Test
    void shouldNameTheFieldWhenALabelPatchHasTheEmptyKey()
    {
        final ApiResponse response = assertDoesNotThrow(() -> api.handle("PATCH", "/api/v1/namespaces/default",
            Map.of(), "{\"\":{\"labels\":{\"app\":\"web\"}}}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(422, response.status(), String.valueOf(response));
        final Map<?, ?> status = (Map<?, ?>)response.body();
        final Map<?, ?> cause = (Map<?, ?>)((List<?>)((Map<?, ?>)status.get("details")).get("causes")).getFirst();
        assertFalse(String.valueOf(cause.get("field")).isBlank(), String.valueOf(status));
        assertFalse(String.valueOf(status.get("message")).startsWith(":"), String.valueOf(status));
    }
}
