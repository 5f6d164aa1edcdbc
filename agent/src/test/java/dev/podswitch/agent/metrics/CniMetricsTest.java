package dev.podswitch.agent.metrics;

import dev.podswitch.agent.cni.CniRequestListener;
import dev.podswitch.cni.CniVersions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** What each answered CNI request adds to the scrape, and that label values stay a small fixed set. */
class CniMetricsTest
{
    @Test
    void shouldCountRequestsByCommandAndResultAndTimeThemByCommand() throws Exception
    {
        try (AgentMetrics metrics = AgentMetrics.forAgent(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            List::of))
        {
            final Scrape fresh = Scrape.of(metrics.url());
            for (final String command : CniMetrics.COMMANDS)
            {
                assertEquals(0, fresh.value("podswitch_cni_requests_total", "command", command, "result", "ok"),
                    "present from the start: " + command);
            }
            final CniRequestListener listener = metrics.cniRequests();
            listener.answered("ADD", 0, 0.003);
            listener.answered("ADD", 0, 0.2);
            listener.answered("ADD", CniVersions.ALREADY_ATTACHED, 0.001);
            listener.answered("CHECK", CniVersions.CHECK_FAILED, 0.001);
            listener.answered(CniRequestListener.UNREAD, CniVersions.TRY_AGAIN_LATER, 0.0001);
            listener.answered("$(reboot)", 4, 0.0001);
            listener.answered(null, 4, 0.0001);

            final Scrape scrape = Scrape.of(metrics.url());
            assertEquals(2, scrape.value("podswitch_cni_requests_total", "command", "ADD", "result", "ok"));
            assertEquals(1, scrape.value("podswitch_cni_requests_total", "command", "ADD", "result", "already_attached"));
            assertEquals(1, scrape.value("podswitch_cni_requests_total", "command", "CHECK", "result", "check_failed"));
            assertEquals(1, scrape.value("podswitch_cni_requests_total", "command", "UNREAD", "result",
                "try_again_later"));
            assertEquals(2, scrape.value("podswitch_cni_requests_total", "command", "OTHER",
                "result", "invalid_environment"), "a command outside the spec's is not a label value of its own");
            assertFalse(scrape.text.contains("reboot"));
            assertEquals(3, scrape.value("podswitch_cni_request_duration_seconds_count", "command", "ADD"));
            assertEquals(2, scrape.value("podswitch_cni_request_duration_seconds_bucket", "command", "ADD", "le", "0.005"));
            assertEquals(0.204, scrape.value("podswitch_cni_request_duration_seconds_sum", "command", "ADD"), 1e-9);
        }
    }

    @Test
    void shouldNameEveryErrorCodeThePluginKnowsAndNumberAnyOther()
    {
        assertEquals("ok", CniMetrics.result(0));
        assertEquals("not_available", CniMetrics.result(CniVersions.NOT_AVAILABLE));
        assertEquals("attach_failed", CniMetrics.result(CniVersions.ATTACH_FAILED));
        assertEquals("error_999", CniMetrics.result(999));
    }
}
