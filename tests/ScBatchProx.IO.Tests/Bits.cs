using ScBatchProx.Data;

namespace ScBatchProx.IO.Tests;

/// <summary>Exact (bitwise) float comparisons: NaN equals NaN, -0 differs from 0.</summary>
static class Bits
{
    public static int[] Of(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    public static void Equal(Embedding expected, Embedding actual)
    {
        Assert.Equal((expected.Rows, expected.Cols), (actual.Rows, actual.Cols));
        Assert.Equal(Of(expected.Data), Of(actual.Data));
    }

    /// <summary>Counts of (row category, column category) pairs, keyed by their names.</summary>
    public static Dictionary<(string, string), int> CrossTab(Categorical rows, Categorical cols)
    {
        var table = new Dictionary<(string, string), int>();
        for (int i = 0; i < rows.Length; i++)
        {
            var key = (rows.ValueAt(i)!, cols.ValueAt(i)!);
            table[key] = table.GetValueOrDefault(key) + 1;
        }
        return table;
    }
}
