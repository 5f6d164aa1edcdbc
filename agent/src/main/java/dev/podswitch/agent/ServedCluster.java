package dev.podswitch.agent;

import dev.podswitch.control.ClusterDataplane;
import dev.podswitch.control.model.ClusterModel;

/**
 * What a daemon serves: the data plane of the nodes this process runs and the cluster model that
 * feeds it. The agent builds its own ({@link DefaultCluster}); {@code podswitch up} and
 * {@code agent --scenario} hand it one a scenario built.
 *
 * @param owner closes whatever made the cluster (a scenario's lab), data plane included.
 */
public record ServedCluster(ClusterDataplane dataplane, ClusterModel model, AutoCloseable owner)
    implements AutoCloseable
{
    @Override
    public void close() throws Exception
    {
        owner.close();
    }
}
