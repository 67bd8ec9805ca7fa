using ScBatchProx.Data;

namespace ScBatchProx.Metrics.Pcr;

/// <summary>
/// Principal component regression on batch and pcr_comparison (METRICS.md 4.10).
/// <para>
/// scib-metrics runs a full PCA, regresses every PC score on one-hot batch and weights the R^2 by
/// the PC variance. With all components kept, sum_j R2_j var_j is the between-batch sum of squares
/// spread over an orthogonal basis, so the ratio is exactly trace(SS_between) / trace(SS_total):
/// sum_b n_b ||mean_b - mean||^2 / sum_i ||x_i - mean||^2. No PCA (and none of its eigen-solver
/// error) is needed.
/// </para>
/// </summary>
public static class PcrComparison
{
    /// <summary>Variance share of <paramref name="x"/> explained by batch; NaN when x has no variance.</summary>
    public static double Pcr(Embedding x, Categorical batches)
    {
        if (batches.Length != x.Rows) throw new ArgumentException($"batches: {batches.Length} values for {x.Rows} cells.");
        if (batches.MissingCount() > 0) throw new ArgumentException("batches: some cells have no value; exclude them first.");
        int n = x.Rows, d = x.Cols, b = batches.CategoryCount;
        var mean = new double[d];
        var batchSum = new double[b * d];
        var count = new int[b];
        for (int i = 0; i < n; i++)
        {
            var row = x.RowReadOnly(i);
            int c = batches.Codes[i];
            count[c]++;
            for (int t = 0; t < d; t++) { mean[t] += row[t]; batchSum[c * d + t] += row[t]; }
        }
        for (int t = 0; t < d; t++) mean[t] /= n;
        // Two-pass total sum of squares: deviations from the mean, not sum x^2 - n mean^2, which
        // cancels badly when the offset is large against the spread.
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var row = x.RowReadOnly(i);
            for (int t = 0; t < d; t++) { double e = row[t] - mean[t]; total += e * e; }
        }
        double between = 0;
        for (int c = 0; c < b; c++)
        {
            if (count[c] == 0) continue;
            double ss = 0;
            for (int t = 0; t < d; t++) { double e = batchSum[c * d + t] / count[c] - mean[t]; ss += e * e; }
            between += count[c] * ss;
        }
        return between / total;
    }

    /// <summary>
    /// (PCR(pre) - PCR(post)) / PCR(pre), clipped at 0 from below as scib-metrics does. A batch-free
    /// pre embedding (PCR 0) gives NaN when post is also 0 and 0 otherwise (-inf clipped), which is
    /// what the original's division produces.
    /// </summary>
    public static double Score(Embedding pre, Embedding post, Categorical batches)
    {
        if (pre.Rows != post.Rows) throw new ArgumentException($"pre has {pre.Rows} cells, post {post.Rows}.");
        double before = Pcr(pre, batches), after = Pcr(post, batches);
        double score = (before - after) / before;
        return score < 0 ? 0 : score;
    }
}
