package dev.podswitch.control.model;

import java.io.IOException;
import java.util.List;

/**
 * Where a client's changes go — the control API's applies, deletes and labels. On one host that is
 * the {@link ClusterModel} itself; on several it is the shared datastore, whose watch then brings
 * the change back into every host's model through the one apply path.
 */
public interface ClusterWriter
{
    /** Applies all of {@code changes} or none; an answer means the change is kept. */
    List<ClusterModel.Outcome> apply(List<ClusterChange> changes) throws ModelException, IOException;

    /** As {@link #apply(List)} for one change. */
    default ClusterModel.Outcome apply(final ClusterChange change) throws ModelException, IOException
    {
        return apply(List.of(change)).getFirst();
    }

    /** The same checks and outcomes as {@link #apply}, nothing changed. */
    List<ClusterModel.Outcome> check(List<ClusterChange> changes) throws ModelException;
}
