package dev.podswitch.scenarios.report;

import dev.podswitch.control.report.Report;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The cluster as a picture, inline SVG: a box per node with its pod CIDR, VTEP and gateway, its
 * pods inside coloured by namespace with their IPs and labels, the VXLAN tunnel the nodes share
 * beneath them, and the external hosts below that. Sized for a projector: big type, few lines.
 */
final class TopologySvg
{
    private static final int NODES_PER_ROW = 4;
    private static final int BOX_WIDTH = 330;
    private static final int GAP = 40;
    private static final int MARGIN = 20;
    private static final int HEADER = 78;
    private static final int POD_ROW = 46;
    private static final int TUNNEL_DROP = 46;
    private static final int HOST_WIDTH = 320;
    private static final int HOST_HEIGHT = 52;
    private static final int LABEL_CHARS = 40;
    /** Colour-blind-friendly fills (Okabe–Ito, lightened) for namespaces, in name order. */
    private static final String[] PALETTE = {"#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#0072b2", "#d55e00",
        "#f0e442", "#999999"};

    private TopologySvg()
    {
    }

    /** The namespaces in the order their colours are given. */
    static List<String> namespaces(final Report.Topology topology)
    {
        return new ArrayList<>(topology.pods().stream().map(Report.Pod::namespace)
            .collect(Collectors.toCollection(TreeSet::new)));
    }

    static String colourOf(final List<String> namespaces, final String namespace)
    {
        final int index = namespaces.indexOf(namespace);
        return PALETTE[Math.floorMod(index, PALETTE.length)];
    }

    static String render(final Report.Topology topology)
    {
        final List<String> namespaces = namespaces(topology);
        final List<Report.Node> nodes = topology.nodes();
        final int columns = Math.max(1, Math.min(NODES_PER_ROW, nodes.size()));
        final int rows = Math.max(1, (nodes.size() + columns - 1) / columns);
        final int[] rowHeight = new int[rows];
        for (int i = 0; i < nodes.size(); i++)
        {
            rowHeight[i / columns] = Math.max(rowHeight[i / columns], boxHeight(podsOn(topology, nodes.get(i).name()).size()));
        }
        final int width = Math.max(MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * GAP, 760);
        final StringBuilder body = new StringBuilder();
        int y = MARGIN + 30;
        legend(body, namespaces);
        final int[] nodeX = new int[nodes.size()];
        final int[] nodeBottom = new int[nodes.size()];
        for (int row = 0; row < rows; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                final int index = row * columns + column;
                if (index >= nodes.size())
                {
                    break;
                }
                final int x = MARGIN + column * (BOX_WIDTH + GAP);
                final List<Report.Pod> pods = podsOn(topology, nodes.get(index).name());
                node(body, nodes.get(index), pods, namespaces, x, y);
                nodeX[index] = x;
                nodeBottom[index] = y + boxHeight(pods.size());
            }
            y += rowHeight[row] + (rows > 1 ? TUNNEL_DROP + 20 : 0);
        }
        final int tunnelY = y + TUNNEL_DROP - (rows > 1 ? TUNNEL_DROP + 20 : 0);
        if (nodes.size() > 1)
        {
            tunnel(body, topology.tunnel(), nodeX, nodeBottom, tunnelY, width);
            y = tunnelY + 40;
        }
        else
        {
            y += 20;
        }
        if (!topology.hosts().isEmpty())
        {
            y = hosts(body, topology, nodes, nodeX, nodeBottom, y + 10, width);
        }
        return "<svg class=\"topology\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " + width + " " + (y + MARGIN)
            + "\" width=\"" + width + "\"><title>The cluster: " + nodes.size() + " node(s), " + topology.pods().size()
            + " pod(s), " + topology.hosts().size() + " external host(s)</title>" + body + "</svg>";
    }

    private static List<Report.Pod> podsOn(final Report.Topology topology, final String node)
    {
        return topology.pods().stream().filter(pod -> node.equals(pod.node())).toList();
    }

    private static int boxHeight(final int pods)
    {
        return HEADER + Math.max(1, pods) * POD_ROW + 10;
    }

    private static void legend(final StringBuilder svg, final List<String> namespaces)
    {
        int x = MARGIN;
        svg.append("<g class=\"legend\">");
        for (final String namespace : namespaces)
        {
            svg.append("<rect x=\"").append(x).append("\" y=\"").append(MARGIN).append("\" width=\"16\" height=\"16\" rx=\"3\" fill=\"")
                .append(colourOf(namespaces, namespace)).append("\"/><text x=\"").append(x + 22).append("\" y=\"")
                .append(MARGIN + 13).append("\" class=\"small\">namespace ").append(Html.escape(namespace)).append("</text>");
            x += 40 + 8 * (namespace.length() + 10);
        }
        svg.append("</g>");
    }

    private static void node(final StringBuilder svg, final Report.Node node, final List<Report.Pod> pods,
        final List<String> namespaces, final int x, final int y)
    {
        svg.append("<g class=\"node\" data-node=\"").append(Html.escape(node.name())).append("\"><rect x=\"").append(x)
            .append("\" y=\"").append(y).append("\" width=\"").append(BOX_WIDTH).append("\" height=\"")
            .append(boxHeight(pods.size())).append("\" rx=\"8\" class=\"nodebox\"/>")
            .append(text(x + 12, y + 24, "nodename", node.name()))
            .append(text(x + 12, y + 46, "small", "pod CIDR " + node.podCidr()))
            .append(text(x + 12, y + 66, "small muted", "VTEP " + node.vtep() + " · gateway " + node.gateway()));
        int rowY = y + HEADER;
        if (pods.isEmpty())
        {
            svg.append(text(x + 14, rowY + 24, "small muted", "no pods"));
        }
        for (final Report.Pod pod : pods)
        {
            final String labels = pod.labels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
            svg.append("<g class=\"pod\" data-pod=\"").append(Html.escape(pod.key())).append("\"><title>")
                .append(Html.escape(pod.key() + " " + pod.ip() + (labels.isEmpty() ? "" : "\n" + labels))).append("</title>")
                .append("<rect x=\"").append(x + 8).append("\" y=\"").append(rowY).append("\" width=\"").append(BOX_WIDTH - 16)
                .append("\" height=\"").append(POD_ROW - 6).append("\" rx=\"6\" fill=\"").append(colourOf(namespaces, pod.namespace()))
                .append("\" class=\"podbox\"/>")
                .append(text(x + 16, rowY + 17, "podname", pod.key()))
                .append("<text x=\"").append(x + BOX_WIDTH - 16).append("\" y=\"").append(rowY + 17)
                .append("\" text-anchor=\"end\" class=\"podip\">").append(Html.escape(pod.ip())).append("</text>")
                .append(text(x + 16, rowY + 34, "labels", shorten(labels.isEmpty() ? "no labels" : labels)))
                .append("</g>");
            rowY += POD_ROW;
        }
        svg.append("</g>");
    }

    private static void tunnel(final StringBuilder svg, final String label, final int[] nodeX, final int[] nodeBottom,
        final int tunnelY, final int width)
    {
        int left = Integer.MAX_VALUE;
        int right = 0;
        svg.append("<g class=\"tunnel\">");
        for (int i = 0; i < nodeX.length; i++)
        {
            final int centre = nodeX[i] + BOX_WIDTH / 2;
            left = Math.min(left, centre);
            right = Math.max(right, centre);
            svg.append("<line x1=\"").append(centre).append("\" y1=\"").append(nodeBottom[i]).append("\" x2=\"").append(centre)
                .append("\" y2=\"").append(tunnelY).append("\" class=\"vtepline\"/>")
                .append("<circle cx=\"").append(centre).append("\" cy=\"").append(tunnelY).append("\" r=\"6\" class=\"vtep\"/>");
        }
        svg.append("<line x1=\"").append(left).append("\" y1=\"").append(tunnelY).append("\" x2=\"").append(right)
            .append("\" y2=\"").append(tunnelY).append("\" class=\"tunnelline\"/>")
            .append("<text x=\"").append((left + right) / 2).append("\" y=\"").append(tunnelY + 26)
            .append("\" text-anchor=\"middle\" class=\"tunnellabel\">").append(Html.escape(label)).append("</text></g>");
    }

    private static int hosts(final StringBuilder svg, final Report.Topology topology, final List<Report.Node> nodes,
        final int[] nodeX, final int[] nodeBottom, final int y, final int width)
    {
        final int perRow = Math.max(1, (width - 2 * MARGIN + GAP) / (HOST_WIDTH + GAP));
        int index = 0;
        svg.append("<g class=\"hosts\">").append(text(MARGIN, y + 4, "small muted", "external hosts"));
        final int top = y + 14;
        for (final Report.Host host : topology.hosts())
        {
            final int x = MARGIN + index % perRow * (HOST_WIDTH + GAP);
            final int hostY = top + index / perRow * (HOST_HEIGHT + 16);
            final int nodeIndex = nodeIndex(nodes, host.node());
            if (nodeIndex >= 0)
            {
                svg.append("<path d=\"M").append(x + HOST_WIDTH / 2).append(' ').append(hostY).append(" L")
                    .append(nodeX[nodeIndex] + BOX_WIDTH - 30).append(' ').append(nodeBottom[nodeIndex])
                    .append("\" class=\"hostline\"/>");
            }
            svg.append("<g class=\"host\" data-host=\"").append(Html.escape(host.name())).append("\"><rect x=\"").append(x)
                .append("\" y=\"").append(hostY).append("\" width=\"").append(HOST_WIDTH).append("\" height=\"")
                .append(HOST_HEIGHT).append("\" rx=\"8\" class=\"hostbox\"/>")
                .append(text(x + 12, hostY + 21, "podname", host.name() + "  " + host.ip()))
                .append(text(x + 12, hostY + 40, "small muted", nodeIndex >= 0 ? "outside the pod network, via "
                    + host.node() : "outside the cluster"))
                .append("</g>");
            index++;
        }
        svg.append("</g>");
        return top + ((index + perRow - 1) / perRow) * (HOST_HEIGHT + 16);
    }

    private static int nodeIndex(final List<Report.Node> nodes, final String name)
    {
        for (int i = 0; i < nodes.size(); i++)
        {
            if (nodes.get(i).name().equals(name))
            {
                return i;
            }
        }
        return -1;
    }

    private static String text(final int x, final int y, final String cssClass, final String text)
    {
        return "<text x=\"" + x + "\" y=\"" + y + "\" class=\"" + cssClass + "\">" + Html.escape(text) + "</text>";
    }

    private static String shorten(final String text)
    {
        return text.length() <= LABEL_CHARS ? text : text.substring(0, LABEL_CHARS - 1) + "…";
    }
}
