package dev.podswitch.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The quick bench reports the median of its iterations: the middle one, or the mean of the middle two. */
class QuickBenchMedianTest
{
    @Test
    void shouldTakeTheMiddleOfAnOddCountAndTheMeanOfTheMiddleTwoOfAnEvenOne()
    {
        assertEquals(3.0, QuickBench.median(new double[] {1, 2, 3, 9, 100}));
        assertEquals(2.5, QuickBench.median(new double[] {1, 2, 3, 100}));
        assertEquals(7.0, QuickBench.median(new double[] {7}));
    }
}
