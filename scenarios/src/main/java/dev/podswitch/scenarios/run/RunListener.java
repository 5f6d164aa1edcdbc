package dev.podswitch.scenarios.run;

/** What a run reports as it goes, so long runs show progress and output streams step by step. */
public interface RunListener
{
    RunListener NONE = new RunListener()
    {
    };

    default void clusterBuilt(final ScenarioResult.NodeInfo[] nodes, final Lab lab)
    {
    }

    default void probesProgress(final int done, final int total)
    {
    }

    default void stepFinished(final int index, final StepResult step, final Lab lab)
    {
    }

    /** Tells both listeners everything, {@code first} first. */
    static RunListener both(final RunListener first, final RunListener second)
    {
        return new RunListener()
        {
            @Override
            public void clusterBuilt(final ScenarioResult.NodeInfo[] nodes, final Lab lab)
            {
                first.clusterBuilt(nodes, lab);
                second.clusterBuilt(nodes, lab);
            }

            @Override
            public void probesProgress(final int done, final int total)
            {
                first.probesProgress(done, total);
                second.probesProgress(done, total);
            }

            @Override
            public void stepFinished(final int index, final StepResult step, final Lab lab)
            {
                first.stepFinished(index, step, lab);
                second.stepFinished(index, step, lab);
            }
        };
    }
}
