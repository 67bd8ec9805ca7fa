using ScBatchProx.Data;
using ScBatchProx.Kernels;

namespace ScBatchProx.Metrics.Neighbors;

/// <summary>
/// Exact k-nearest-neighbour search (Euclidean, float64), blocked: query blocks run in parallel and
/// each scans all reference blocks with the <see cref="Distances"/> tile kernel, keeping a bounded
/// heap per query. Two shapes share that machinery: the self search (<see cref="Search(double[], int, int, int, int)"/>:
/// row i is i itself at column 0, distance 0 even when duplicates exist, followed by the k-1 other
/// cells) and the reference search (<see cref="SearchReference"/>: the k nearest rows of a separate
/// reference set, no self column). Neighbours are the smallest (distance, index): ties by ascending
/// index, as METRICS.md section 2 requires. Each row depends only on the data, so the graph is
/// bitwise identical for any thread count.
/// </summary>
public static class ExactNeighbors
{
    const int QueryBlock = 32;
    const int RefBlock = 256;

    public static NeighborGraph Search(Embedding embedding, int k = 90, int threads = 0)
        => Search(Widen(embedding), embedding.Rows, embedding.Cols, k, threads);

    /// <summary>
    /// The exact graph. Uses the Gram-filtered search (<see cref="SearchFiltered"/>) when it can
    /// help, the direct blocked search (<see cref="SearchDirect"/>) for small inputs; both give the
    /// same graph bit for bit.
    /// </summary>
    /// <param name="data">row-major n x d values; must be finite.</param>
    public static NeighborGraph Search(double[] data, int n, int d, int k = 90, int threads = 0)
    {
        Validate(data, n, d, k);
        var p = SearchProblem.Self(data, n, d, k);
        int m = Math.Min(p.Candidates, k - 1 + DefaultMargin(k));
        if (k == 1 || n < FilteredMinCells || m >= p.Candidates) return DirectCore(p, threads);
        return FilteredCore(p, m, threads, out _) ?? DirectCore(p, threads);
    }

    /// <summary>The direct blocked search: every pair by the float64 direct-difference kernel.</summary>
    public static NeighborGraph SearchDirect(double[] data, int n, int d, int k = 90, int threads = 0)
    {
        Validate(data, n, d, k);
        return DirectCore(SearchProblem.Self(data, n, d, k), threads);
    }

    /// <summary>
    /// Exact neighbours of the listed cells only (row r of the result belongs to cell
    /// <c>queries[r]</c>, whose own index is at column 0), searched against all n cells. Used to
    /// complete rows of approximate searches and to measure their recall on a sample.
    /// </summary>
    public static NeighborGraph SearchSubset(double[] data, int n, int d, ReadOnlySpan<int> queries, int k = 90, int threads = 0)
    {
        Validate(data, n, d, k);
        foreach (var i in queries) if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(queries), $"cell {i} is outside 0..{n - 1}.");
        return DirectCore(SearchProblem.Self(data, n, d, k).Subset(queries), threads);
    }

    /// <summary>
    /// The <paramref name="k"/> nearest reference rows of every query row: row r of the result holds
    /// indices into <paramref name="references"/> (0..referenceCount-1) and their distances, sorted by
    /// (distance, reference index); there is no self column (a query equal to a reference is at
    /// distance 0 from it). Gram-filtered like <see cref="Search(double[], int, int, int, int)"/> when
    /// the reference set is large enough, direct otherwise; both give the same graph bit for bit.
    /// </summary>
    /// <param name="queries">row-major queryCount x d values; must be finite.</param>
    /// <param name="references">row-major referenceCount x d values; must be finite.</param>
    public static NeighborGraph SearchReference(double[] queries, int queryCount, double[] references, int referenceCount, int d, int k, int threads = 0)
    {
        var p = ReferenceProblem(queries, queryCount, references, referenceCount, d, k);
        int m = Math.Min(p.Candidates, k + DefaultMargin(k));
        if (queryCount == 0 || referenceCount < FilteredMinCells || m >= p.Candidates) return DirectCore(p, threads);
        return FilteredCore(p, m, threads, out _) ?? DirectCore(p, threads);
    }

    /// <summary>
    /// <see cref="SearchReference"/> forced through the Gram filter with <paramref name="margin"/>
    /// extra candidates (diagnostics and tests); <paramref name="fallbackRows"/> counts the query rows
    /// recomputed by the direct search.
    /// </summary>
    public static NeighborGraph SearchReferenceFiltered(double[] queries, int queryCount, double[] references, int referenceCount, int d, int k,
        int margin, int threads, out int fallbackRows)
    {
        var p = ReferenceProblem(queries, queryCount, references, referenceCount, d, k);
        ArgumentOutOfRangeException.ThrowIfLessThan(margin, 0);
        fallbackRows = 0;
        int m = Math.Min(p.Candidates, k + margin);
        if (queryCount == 0) return DirectCore(p, threads);
        var g = FilteredCore(p, m, threads, out fallbackRows);
        if (g == null) { fallbackRows = queryCount; return DirectCore(p, threads); }
        return g;
    }

    static SearchProblem ReferenceProblem(double[] queries, int queryCount, double[] references, int referenceCount, int d, int k)
    {
        Validate(references, referenceCount, d, k);
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        if (queries.Length < (long)queryCount * d) throw new ArgumentException($"queries hold {queries.Length} values, expected {queryCount} x {d}.");
        RequireFinite(queries, queryCount, d, "query");
        return new SearchProblem(queries, queryCount, null, references, referenceCount, d, k);
    }

    /// <summary>
    /// One search: query rows against reference rows for <see cref="Cap"/> neighbours each. In a
    /// self search <see cref="SelfIds"/>[q] is the reference index of query q itself: it is never a
    /// candidate and is written at column 0 with distance 0. A reference search (no self ids) has
    /// no such column.
    /// </summary>
    sealed class SearchProblem(double[] queries, int queryCount, int[]? selfIds, double[] refs, int refCount, int d, int cap)
    {
        public readonly double[] Queries = queries, Refs = refs;
        public readonly int QueryCount = queryCount, RefCount = refCount, D = d, Cap = cap;
        public readonly int[]? SelfIds = selfIds;

        /// <summary>All n rows against themselves; k counts the self column.</summary>
        public static SearchProblem Self(double[] data, int n, int d, int k)
            => new(data, n, Enumerable.Range(0, n).ToArray(), data, n, d, k - 1);

        int Lead => SelfIds == null ? 0 : 1;
        /// <summary>Columns per output row.</summary>
        public int Width => Cap + Lead;
        /// <summary>References a query can have as neighbours.</summary>
        public int Candidates => RefCount - Lead;
        /// <summary>Reference index query q must skip, or -1.</summary>
        public int SelfOf(int q) => SelfIds == null ? -1 : SelfIds[q];

        /// <summary>The same search for the listed query rows only (gathered, in that order).</summary>
        public SearchProblem Subset(ReadOnlySpan<int> rows)
        {
            var q = new double[(long)rows.Length * D];
            for (int r = 0; r < rows.Length; r++) Array.Copy(Queries, (long)rows[r] * D, q, (long)r * D, D);
            int[]? self = null;
            if (SelfIds != null)
            {
                self = new int[rows.Length];
                for (int r = 0; r < rows.Length; r++) self[r] = SelfIds[rows[r]];
            }
            return new SearchProblem(q, rows.Length, self, Refs, RefCount, D, Cap);
        }

        /// <summary>Writes query q's row: its self column (self search), then the sorted heap.</summary>
        public void WriteRow(int q, Span<double> heapDist, Span<int> heapIdx, int[] indices, double[] distances)
        {
            int w = Width, o = q * w;
            if (SelfIds != null) { indices[o] = SelfIds[q]; distances[o] = 0; }
            if (Cap == 0) return;
            KnnHeap.SortAscending(heapDist, heapIdx, Cap);
            heapIdx.CopyTo(indices.AsSpan(o + Lead, Cap));
            heapDist.CopyTo(distances.AsSpan(o + Lead, Cap));
        }
    }

    static NeighborGraph DirectCore(SearchProblem p, int threads)
    {
        var packed = PackAll(p.Refs, p.RefCount, p.D);
        int nq = p.QueryCount, w = p.Width;
        var indices = new int[nq * w];
        var distances = new double[nq * w];
        int blocks = (nq + QueryBlock - 1) / QueryBlock;
        Parallel.For(0, blocks, Options(threads), () => new Scratch(p.Cap),
            (qb, _, s) => { SearchBlock(p, packed, qb * QueryBlock, Math.Min(QueryBlock, nq - qb * QueryBlock), s, indices, distances); return s; },
            _ => { });
        return new NeighborGraph(nq, w, indices, distances);
    }

    // ------------------------------------------------------------------ Gram-filtered search

    /// <summary>Below this many cells (references) the direct search is used (packing and re-ranking do not pay off).</summary>
    public const int FilteredMinCells = 1024;
    const int ChunkQueries = 128;   // queries per parallel work item (multiple of GramKeys.PanelRows)
    const int GramRefBlock = 512;   // references per packed float32 block (about 100 KB at d = 50: stays in L2)

    /// <summary>Extra candidates kept beyond the k - 1 neighbours for the exact re-ranking.</summary>
    public static int DefaultMargin(int k) => Math.Max(8, k / 4);

    /// <summary>
    /// Exact search by candidate filtering: float32 Gram keys (<see cref="GramKeys"/>, a GEMM-shaped
    /// kernel on the centred, power-of-two-scaled data) select the k - 1 + <paramref name="margin"/>
    /// best candidates of every row; they are re-ranked with the float64 direct-difference distance
    /// of <see cref="SearchDirect"/>, and the row is accepted only when a rigorous lower bound on the
    /// exact distance of every non-candidate (from the float32 rounding analysis) exceeds the
    /// (k-1)-th candidate distance. Rows that fail the bound are recomputed by the direct search.
    /// The graph is therefore identical to <see cref="SearchDirect"/> bit for bit, for any thread count.
    /// </summary>
    /// <param name="fallbackRows">rows recomputed by the direct search (diagnostics).</param>
    public static NeighborGraph SearchFiltered(double[] data, int n, int d, int k, int margin, int threads, out int fallbackRows)
    {
        Validate(data, n, d, k);
        ArgumentOutOfRangeException.ThrowIfLessThan(margin, 0);
        fallbackRows = 0;
        var p = SearchProblem.Self(data, n, d, k);
        int m = Math.Min(p.Candidates, k - 1 + margin);
        if (k == 1 || m < 1) return DirectCore(p, threads);
        var g = FilteredCore(p, m, threads, out fallbackRows);
        if (g == null) { fallbackRows = n; return DirectCore(p, threads); }
        return g;
    }

    /// <summary>
    /// Keeps <paramref name="m"/> (&gt;= Cap) candidates per query. Null when the data cannot be
    /// scaled into float32 safely (all rows equal, overflow).
    /// </summary>
    static NeighborGraph? FilteredCore(SearchProblem p, int m, int threads, out int fallbackRows)
    {
        fallbackRows = 0;
        int d = p.D, nr = p.RefCount, nq = p.QueryCount, cap = p.Cap, w = p.Width;
        bool shared = ReferenceEquals(p.Queries, p.Refs);
        var po = Options(threads);
        // 1. Centre on the references' mean (any centre is valid: differences do not depend on it) and
        //    scale by a power of two so the largest centred row (reference or query) has norm < 1;
        //    then round to float32.
        var mu = new double[d];
        for (int i = 0; i < nr; i++)
            for (int t = 0; t < d; t++) mu[t] += p.Refs[(long)i * d + t];
        for (int t = 0; t < d; t++) mu[t] /= nr;
        double maxSq = MaxCentredSquaredNorm(p.Refs, nr, d, mu);
        if (!shared) maxSq = Math.Max(maxSq, MaxCentredSquaredNorm(p.Queries, nq, d, mu));
        if (!(maxSq > 0) || !double.IsFinite(maxSq)) return null;
        int e = Math.ILogB(Math.Sqrt(maxSq)) + 1;
        double scale = Math.ScaleB(1.0, -e);
        if (scale == 0 || !double.IsFinite(scale)) return null;
        var (xf, norms) = ScaledFloat32(p.Refs, nr, d, mu, scale);
        var (xq, queryNorms) = shared ? (xf, norms) : ScaledFloat32(p.Queries, nq, d, mu, scale);
        double maxNorm = norms.Max();
        int nb = (nr + GramRefBlock - 1) / GramRefBlock;
        var packed = new float[(long)nb * d * GramRefBlock];
        var half = new float[(long)nb * GramRefBlock];
        Parallel.For(0, nb, po, b =>
        {
            int start = b * GramRefBlock, count = Math.Min(GramRefBlock, nr - start);
            GramKeys.Pack(xf.AsSpan(start * d, count * d), count, d, packed.AsSpan(b * d * GramRefBlock, d * GramRefBlock), GramRefBlock);
            for (int r = 0; r < count; r++) half[b * GramRefBlock + r] = (float)(norms[start + r] / 2);
        });

        // Error constants (see GramKeys.ErrorFactor and the bound below).
        const double u32 = 1.0 / (1 << 24), u64 = 1.0 / (1L << 53);
        const double theta = 6.1e-8;                  // relative error of a coordinate: u32 + u64 + their product
        double tiny = Math.Sqrt(d) * Math.ScaleB(1.0, -149); // absolute error of a coordinate (float32 subnormals)
        double errFactor = GramKeys.ErrorFactor(d) * u32;
        double yMax = (Math.Sqrt(maxNorm) * (1 + 4 * u64) + tiny) / (1 - theta);
        double shrink = 1 - 2.0 * (d + 4) * u64;      // float64 direct distance >= true distance * shrink

        var indices = new int[nq * w];
        var distances = new double[nq * w];
        var failed = new bool[nq];
        int chunks = (nq + ChunkQueries - 1) / ChunkQueries;
        Parallel.For(0, chunks, po, () => new FilterScratch(d, m, cap), (c, _, s) =>
        {
            int q0 = c * ChunkQueries, qc = Math.Min(ChunkQueries, nq - q0);
            int panels = (qc + GramKeys.PanelRows - 1) / GramKeys.PanelRows;
            var neg = s.Queries.AsSpan(0, panels * GramKeys.PanelRows * d);
            neg.Clear();
            for (int q = 0; q < qc; q++)
                for (int t = 0; t < d; t++) neg[q * d + t] = -xq[(long)(q0 + q) * d + t];
            Array.Clear(s.Counts);
            Array.Fill(s.Threshold, float.PositiveInfinity);
            int bufCap = s.BufferCap;
            for (int b = 0; b < nb; b++)
            {
                int r0 = b * GramRefBlock, rc = Math.Min(GramRefBlock, nr - r0);
                var pk = packed.AsSpan(b * d * GramRefBlock, d * GramRefBlock);
                var hb = half.AsSpan(b * GramRefBlock, GramRefBlock);
                for (int pn = 0; pn < panels; pn++)
                {
                    GramKeys.Tile(neg.Slice(pn * GramKeys.PanelRows * d, GramKeys.PanelRows * d), d, pk, GramRefBlock, hb, rc, s.Tile, GramRefBlock);
                    int rows = Math.Min(GramKeys.PanelRows, qc - pn * GramKeys.PanelRows);
                    for (int qi = 0; qi < rows; qi++)
                    {
                        int q = pn * GramKeys.PanelRows + qi, self = p.SelfOf(q0 + q);
                        var buf = s.Buffer.AsSpan(q * bufCap, bufCap);
                        ref int count = ref s.Counts[q];
                        ref float threshold = ref s.Threshold[q];
                        var row = s.Tile.AsSpan(qi * GramRefBlock, rc);
                        int hits = GramKeys.Below(row, threshold, s.Hits);
                        for (int h = 0; h < hits; h++)
                        {
                            int r = s.Hits[h], j = r0 + r;
                            if (j == self) continue;
                            if (count == bufCap)
                            {
                                // lazy selection: keep the m best (key, index) and tighten the threshold
                                count = Compact(buf, count, m);
                                threshold = KeyOf(buf[m - 1]);
                                if (row[r] > threshold) continue;
                            }
                            buf[count++] = Compose(row[r], j);
                        }
                    }
                }
            }
            // 2. Exact re-ranking of the candidates and the acceptance bound.
            for (int q = 0; q < qc; q++)
            {
                int i = q0 + q;
                var buf = s.Buffer.AsSpan(q * bufCap, bufCap);
                int count = Compact(buf, s.Counts[q], m);
                var ed = s.ExactDist.AsSpan(0, cap);
                var ei = s.ExactIdx.AsSpan(0, cap);
                int ec = 0;
                var xi = p.Queries.AsSpan(i * d, d);
                // candidates' distances by the tile kernel (bitwise equal to the direct search's)
                var rowsBuf = s.CandRows.AsSpan(0, count * d);
                for (int t = 0; t < count; t++) p.Refs.AsSpan((int)(uint)buf[t] * d, d).CopyTo(rowsBuf.Slice(t * d, d));
                int stride = Distances.PackedStride(count);
                Distances.PackTransposed(rowsBuf, count, d, s.CandPacked, stride);
                Distances.SquaredEuclideanTile(xi, 1, d, s.CandPacked, count, stride, s.CandDist, stride, sqrt: true);
                for (int t = 0; t < count; t++)
                    KnnHeap.Push(ed, ei, default, ref ec, cap, s.CandDist[t], (int)(uint)buf[t], 0, checkDuplicates: false);
                double worstKey = KeyOf(buf[m - 1]); // Compact leaves the largest kept key there
                if (m < p.Candidates)
                {
                    // Every non-candidate j has key >= the m-th candidate key, so its float32 squared distance
                    // S = N_i + 2 key >= S_m; the true (scaled) squared distance of the float32 points
                    // is >= S_m - err, and the float32 points are within theta |y| + tiny of the true ones.
                    double sm = queryNorms[i] + 2 * worstKey;
                    double err = errFactor * (queryNorms[i] + maxNorm) + 1e-37;
                    double yi = (Math.Sqrt(queryNorms[i]) * (1 + 4 * u64) + tiny) / (1 - theta);
                    double lb = (Math.Sqrt(Math.Max(0, sm - err)) * (1 - 4 * u64) - theta * (yi + yMax) - 3 * tiny) * shrink - 1e-300;
                    if (!(lb > ed[0] * scale)) { failed[i] = true; continue; }
                }
                p.WriteRow(i, ed, ei, indices, distances);
            }
            return s;
        }, _ => { });

        var redo = Enumerable.Range(0, nq).Where(i => failed[i]).ToArray();
        fallbackRows = redo.Length;
        if (redo.Length > 0)
        {
            var fill = DirectCore(p.Subset(redo), threads);
            for (int r = 0; r < redo.Length; r++)
            {
                fill.IndicesOf(r).CopyTo(indices.AsSpan(redo[r] * w, w));
                fill.DistancesOf(r).CopyTo(distances.AsSpan(redo[r] * w, w));
            }
        }
        return new NeighborGraph(nq, w, indices, distances);
    }

    static double MaxCentredSquaredNorm(double[] x, int rows, int d, double[] mu)
    {
        double maxSq = 0;
        for (int i = 0; i < rows; i++)
        {
            double s2 = 0;
            for (int t = 0; t < d; t++) { double v = x[(long)i * d + t] - mu[t]; s2 += v * v; }
            maxSq = Math.Max(maxSq, s2);
        }
        return maxSq;
    }

    /// <summary>(x - mu) * scale rounded to float32, and the float64 squared norms of the rounded rows.</summary>
    static (float[] Values, double[] Norms) ScaledFloat32(double[] x, int rows, int d, double[] mu, double scale)
    {
        var xf = new float[(long)rows * d];
        var norms = new double[rows];
        for (int i = 0; i < rows; i++)
        {
            double s2 = 0;
            for (int t = 0; t < d; t++)
            {
                float v = (float)((x[(long)i * d + t] - mu[t]) * scale);
                xf[(long)i * d + t] = v;
                s2 += (double)v * v;
            }
            norms[i] = s2;
        }
        return (xf, norms);
    }

    /// <summary>(key, index) as one integer whose unsigned order is the (key, index) order.</summary>
    static ulong Compose(float key, int j)
    {
        uint bits = BitConverter.SingleToUInt32Bits(key);
        bits = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)bits << 32) | (uint)j;
    }

    static float KeyOf(ulong composed)
    {
        uint bits = (uint)(composed >> 32);
        bits = (bits & 0x8000_0000u) != 0 ? bits & 0x7FFF_FFFFu : ~bits;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>
    /// Moves the <paramref name="m"/> smallest entries to buf[0..m) with the largest of them at
    /// buf[m - 1] (quickselect, O(count)) and returns min(count, m).
    /// </summary>
    static int Compact(Span<ulong> buf, int count, int m)
    {
        if (count <= m) return count;
        int lo = 0, hi = count - 1, nth = m - 1;
        while (hi > lo)
        {
            if (hi - lo < 16)
            {
                buf[lo..(hi + 1)].Sort();
                break;
            }
            // median of three as pivot, Hoare partition
            int mid = lo + ((hi - lo) >> 1);
            if (buf[mid] < buf[lo]) (buf[mid], buf[lo]) = (buf[lo], buf[mid]);
            if (buf[hi] < buf[lo]) (buf[hi], buf[lo]) = (buf[lo], buf[hi]);
            if (buf[hi] < buf[mid]) (buf[hi], buf[mid]) = (buf[mid], buf[hi]);
            ulong pivot = buf[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (buf[i] < pivot) i++;
                while (buf[j] > pivot) j--;
                if (i <= j) { (buf[i], buf[j]) = (buf[j], buf[i]); i++; j--; }
            }
            if (nth <= j) hi = j;
            else if (nth >= i) lo = i;
            else break;
        }
        return m;
    }

    sealed class FilterScratch(int d, int m, int cap)
    {
        public readonly float[] Queries = new float[ChunkQueries * d];
        public readonly float[] Tile = new float[GramKeys.PanelRows * GramRefBlock];
        public readonly int[] Hits = new int[GramRefBlock];
        public readonly int BufferCap = 4 * m;
        public readonly ulong[] Buffer = new ulong[ChunkQueries * 4 * m];
        public readonly float[] Threshold = new float[ChunkQueries];
        public readonly int[] Counts = new int[ChunkQueries];
        public readonly double[] CandRows = new double[m * d];
        public readonly double[] CandPacked = new double[Distances.PackedStride(m) * d];
        public readonly double[] CandDist = new double[Distances.PackedStride(m)];
        public readonly double[] ExactDist = new double[Math.Max(cap, 1)];
        public readonly int[] ExactIdx = new int[Math.Max(cap, 1)];
    }

    internal static ParallelOptions Options(int threads) =>
        new() { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };

    internal static double[] Widen(Embedding e)
    {
        var x = new double[e.Data.Length];
        for (int i = 0; i < x.Length; i++) x[i] = e.Data[i];
        return x;
    }

    internal static void Validate(double[] data, int n, int d, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} must be in 1..n (n = {n}).");
        if (data.Length < (long)n * d) throw new ArgumentException($"data holds {data.Length} values, expected {n} x {d}.");
        RequireFinite(data, n, d, "embedding");
    }

    static void RequireFinite(double[] data, int n, int d, string what)
    {
        for (long t = 0; t < (long)n * d; t++)
            if (!double.IsFinite(data[t])) throw new ArgumentException($"{what} row {t / d} holds a non-finite value.");
    }

    sealed class Scratch(int cap)
    {
        public readonly double[] Tile = new double[QueryBlock * RefBlock];
        public readonly double[] HeapDist = new double[QueryBlock * Math.Max(cap, 1)];
        public readonly int[] HeapIdx = new int[QueryBlock * Math.Max(cap, 1)];
        public readonly int[] Counts = new int[QueryBlock];
    }

    /// <summary>All rows, transposed in blocks of <see cref="RefBlock"/> references.</summary>
    static double[] PackAll(double[] data, int n, int d)
    {
        int nb = (n + RefBlock - 1) / RefBlock;
        var packed = new double[(long)nb * d * RefBlock];
        for (int b = 0; b < nb; b++)
        {
            int start = b * RefBlock, count = Math.Min(RefBlock, n - start);
            Distances.PackTransposed(data.AsSpan(start * d, count * d), count, d, packed.AsSpan(b * d * RefBlock, d * RefBlock), RefBlock);
        }
        return packed;
    }

    /// <summary>Searches queries q0..q0+qc-1 of <paramref name="p"/> against every packed reference block and writes their rows.</summary>
    static void SearchBlock(SearchProblem p, double[] packed, int q0, int qc, Scratch s, int[] indices, double[] distances)
    {
        int d = p.D, nr = p.RefCount, cap = p.Cap;
        var queries = p.Queries.AsSpan(q0 * d, qc * d);
        Array.Clear(s.Counts);
        int nb = (nr + RefBlock - 1) / RefBlock;
        for (int b = 0; b < nb; b++)
        {
            int r0 = b * RefBlock, rc = Math.Min(RefBlock, nr - r0);
            Distances.SquaredEuclideanTile(queries, qc, d, packed.AsSpan(b * d * RefBlock, d * RefBlock), rc, RefBlock, s.Tile, RefBlock, sqrt: true);
            if (cap == 0) continue;
            for (int q = 0; q < qc; q++)
            {
                int self = p.SelfOf(q0 + q);
                var hd = s.HeapDist.AsSpan(q * cap, cap);
                var hi = s.HeapIdx.AsSpan(q * cap, cap);
                ref int count = ref s.Counts[q];
                var tileRow = s.Tile.AsSpan(q * RefBlock, rc);
                for (int r = 0; r < rc; r++)
                {
                    double dist = tileRow[r];
                    // cheap reject before the heap call; equality still goes to the index tie-break
                    if (count == cap && dist > hd[0]) continue;
                    int j = r0 + r;
                    if (j == self) continue;
                    KnnHeap.Push(hd, hi, default, ref count, cap, dist, j, 0, checkDuplicates: false);
                }
            }
        }
        for (int q = 0; q < qc; q++)
            p.WriteRow(q0 + q, s.HeapDist.AsSpan(q * cap, cap), s.HeapIdx.AsSpan(q * cap, cap), indices, distances);
    }
}
