using ScBatchProx.Data;
using ScBatchProx.Kernels;
using ScBatchProx.Kernels.Linalg;

namespace ScBatchProx.Metrics.Neighbors;

/// <summary>Tuning of <see cref="NNDescent"/>; null entries take pynndescent's defaults for n cells.</summary>
public sealed record NNDescentOptions
{
    public ulong Seed { get; init; }
    /// <summary>Random-projection trees for the initial graph; default min(64, 5 + round(sqrt(n)/20)).</summary>
    public int? Trees { get; init; }
    /// <summary>Maximum NN-descent rounds; default max(5, round(log2 n)).</summary>
    public int? Iterations { get; init; }
    /// <summary>Candidates sampled per node and round (new and old lists each).</summary>
    public int MaxCandidates { get; init; } = 60;
    /// <summary>Stop when a round changes fewer than Delta * k * n heap entries.</summary>
    public double Delta { get; init; } = 0.001;
    /// <summary>Largest tree leaf; default max(10, k).</summary>
    public int? LeafSize { get; init; }
}

/// <summary>
/// Approximate k-NN by NN-descent (Dong, Moses, Li 2011) initialised with a random-projection
/// forest, in the manner of pynndescent, but deterministic for a given seed whatever the thread count:
/// <list type="bullet">
/// <item>every heap keeps the k-1 smallest distinct (distance, index) keys ever offered, a set that
/// does not depend on the order of the offers, and distances come from the same kernel as
/// <see cref="ExactNeighbors"/>, so a pair has one bitwise value whoever computes it;</item>
/// <item>candidate sampling uses a hash of (seed, round, pair) as priority instead of a shared
/// random stream;</item>
/// <item>the convergence count is the number of entries that entered the heaps during the round,
/// read after the round (a count of successful pushes would depend on the interleaving).</item>
/// </list>
/// Rows follow the exact layout: self at column 0, then ascending (distance, index).
/// </summary>
public static class NNDescent
{
    const byte Old = 0, New = 1, Fresh = 2; // Fresh = new and inserted during the current round
    const int LockStripes = 1 << 12;

    public static NeighborGraph Search(Embedding embedding, int k = 90, NNDescentOptions? options = null, int threads = 0)
        => Search(ExactNeighbors.Widen(embedding), embedding.Rows, embedding.Cols, k, options, threads);

    public static NeighborGraph Search(double[] data, int n, int d, int k = 90, NNDescentOptions? options = null, int threads = 0)
    {
        ExactNeighbors.Validate(data, n, d, k);
        options ??= new NNDescentOptions();
        var po = ExactNeighbors.Options(threads);
        int cap = k - 1;
        var state = new State(n, cap);
        if (cap > 0)
        {
            int trees = options.Trees ?? Math.Min(64, 5 + (int)Math.Round(Math.Sqrt(n) / 20));
            int leafSize = Math.Max(options.LeafSize ?? Math.Max(10, k), 2);
            InitFromForest(data, n, d, trees, leafSize, options.Seed, state, po);
            int iterations = options.Iterations ?? Math.Max(5, (int)Math.Round(Math.Log2(n)));
            for (int it = 0; it < iterations; it++)
            {
                long changed = Round(data, n, d, it, options, state, po);
                if (changed <= options.Delta * k * n) break;
            }
        }
        return Finish(data, n, d, k, state);
    }

    sealed class State(int n, int cap)
    {
        public readonly int Cap = cap;
        public readonly double[] Dist = new double[(long)n * cap];
        public readonly int[] Idx = new int[(long)n * cap];
        public readonly byte[] Flags = new byte[(long)n * cap];
        public readonly int[] Count = new int[n];
        public readonly object[] Locks = Enumerable.Range(0, LockStripes).Select(_ => new object()).ToArray();

        public Span<double> D(int i) => Dist.AsSpan(i * Cap, Cap);
        public Span<int> I(int i) => Idx.AsSpan(i * Cap, Cap);
        public Span<byte> F(int i) => Flags.AsSpan(i * Cap, Cap);

        /// <summary>Thread-safe offer of neighbour j at distance dist to row i.</summary>
        public void Offer(int i, int j, double dist, byte flag)
        {
            // Lock-free pre-check: the root only decreases, so a stale read can only let through an
            // offer that the locked push then rejects.
            if (Volatile.Read(ref Count[i]) == Cap && dist > Volatile.Read(ref Dist[i * Cap])) return;
            lock (Locks[i & (LockStripes - 1)])
                KnnHeap.Push(D(i), I(i), F(i), ref Count[i], Cap, dist, j, flag, checkDuplicates: true);
        }
    }

    // ---------------------------------------------------------------- random-projection forest

    static void InitFromForest(double[] data, int n, int d, int trees, int leafSize, ulong seed, State state, ParallelOptions po)
    {
        var forest = new List<(int Start, int Len)>[trees];
        var perms = new int[trees][];
        Parallel.For(0, trees, po, t => (perms[t], forest[t]) = BuildTree(data, n, d, leafSize, new SplitMix(SplitMix.Mix(seed * 0x9E37 + (ulong)t + 1))));
        // Leaves of one tree are disjoint, so their joins touch disjoint rows and need no locks;
        // trees are applied one after another.
        for (int t = 0; t < trees; t++)
        {
            var perm = perms[t];
            var leaves = forest[t];
            Parallel.For(0, leaves.Count, po, () => new JoinScratch(leafSize, d), (l, _, s) =>
            {
                var (start, len) = leaves[l];
                var members = perm.AsSpan(start, len);
                s.Load(data, d, members);
                s.Tile(len, len, d);
                for (int a = 0; a < len; a++)
                    for (int b = a + 1; b < len; b++)
                    {
                        double dist = s.At(a, b);
                        int p = members[a], q = members[b];
                        KnnHeap.Push(state.D(p), state.I(p), state.F(p), ref state.Count[p], state.Cap, dist, q, New, true);
                        KnnHeap.Push(state.D(q), state.I(q), state.F(q), ref state.Count[q], state.Cap, dist, p, New, true);
                    }
                return s;
            }, _ => { });
        }
    }

    /// <summary>Random-projection tree: hyperplanes halfway between two random points of the node.</summary>
    static (int[] Perm, List<(int, int)> Leaves) BuildTree(double[] data, int n, int d, int leafSize, SplitMix rng)
    {
        var perm = Enumerable.Range(0, n).ToArray();
        var leaves = new List<(int, int)>();
        var stack = new Stack<(int Start, int Len)>();
        stack.Push((0, n));
        var normal = new double[d];
        var side = new sbyte[n];
        var tmp = new int[n];
        while (stack.Count > 0)
        {
            var (start, len) = stack.Pop();
            if (len <= leafSize) { leaves.Add((start, len)); continue; }
            int a = perm[start + rng.NextInt(len)];
            int b = perm[start + rng.NextInt(len)];
            int left = 0;
            if (a != b)
            {
                double offset = 0;
                for (int t = 0; t < d; t++)
                {
                    normal[t] = data[a * d + t] - data[b * d + t];
                    offset -= normal[t] * (data[a * d + t] + data[b * d + t]) * 0.5;
                }
                for (int r = 0; r < len; r++)
                {
                    int i = perm[start + r];
                    double margin = VectorOps.Dot(normal, data.AsSpan(i * d, d)) + offset;
                    sbyte s = margin > 0 ? (sbyte)1 : margin < 0 ? (sbyte)0 : (sbyte)(rng.Next() & 1);
                    side[r] = s;
                    left += s;
                }
            }
            if (left == 0 || left == len)
            {
                // degenerate split (duplicates or a == b): halve the node in its current order
                left = len / 2;
                for (int r = 0; r < len; r++) side[r] = r < left ? (sbyte)1 : (sbyte)0;
            }
            int lo = 0, hi = left;
            for (int r = 0; r < len; r++) tmp[side[r] == 1 ? lo++ : hi++] = perm[start + r];
            Array.Copy(tmp, 0, perm, start, len);
            stack.Push((start + left, len - left));
            stack.Push((start, left));
        }
        return (perm, leaves);
    }

    // ---------------------------------------------------------------- NN-descent rounds

    static double Priority(ulong seed, int round, int i, int j)
    {
        // symmetric in (i, j): the forward and the reverse offer of a pair carry the same key
        ulong lo = (ulong)Math.Min(i, j), hi = (ulong)Math.Max(i, j);
        ulong h = SplitMix.Mix(seed ^ SplitMix.Mix(((ulong)round << 40) ^ (hi << 20) ^ lo ^ (hi >> 44)) ^ SplitMix.Mix(hi * 0x632BE59BD9B4E019UL + lo));
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    static long Round(double[] data, int n, int d, int round, NNDescentOptions o, State st, ParallelOptions po)
    {
        int mc = o.MaxCandidates, cap = st.Cap;
        var newC = new int[(long)n * mc]; var newP = new double[(long)n * mc]; var newN = new int[n];
        var oldC = new int[(long)n * mc]; var oldP = new double[(long)n * mc]; var oldN = new int[n];
        var locks = st.Locks;

        // 1. Sample candidates: every neighbour (forward) and every reverse neighbour, split by
        //    new/old flag, keeping the mc lowest hash priorities (order independent).
        Parallel.For(0, n, po, i =>
        {
            int cnt = st.Count[i];
            for (int t = 0; t < cnt; t++)
            {
                int j = st.Idx[i * cap + t];
                bool isNew = st.Flags[i * cap + t] != Old;
                double p = Priority(o.Seed, round, i, j);
                var (c, pr, num) = isNew ? (newC, newP, newN) : (oldC, oldP, oldN);
                lock (locks[i & (LockStripes - 1)])
                    KnnHeap.Push(pr.AsSpan(i * mc, mc), c.AsSpan(i * mc, mc), default, ref num[i], mc, p, j, 0, true);
                lock (locks[j & (LockStripes - 1)])
                    KnnHeap.Push(pr.AsSpan(j * mc, mc), c.AsSpan(j * mc, mc), default, ref num[j], mc, p, i, 0, true);
            }
        });
        // 2. Neighbours sampled as new candidates become old (they are joined in this round).
        Parallel.For(0, n, po, i =>
        {
            int cnt = st.Count[i];
            var cands = newC.AsSpan(i * mc, newN[i]);
            for (int t = 0; t < cnt; t++)
                if (st.Flags[i * cap + t] != Old && cands.Contains(st.Idx[i * cap + t])) st.Flags[i * cap + t] = Old;
        });
        // 3. Local join: new x new and new x old pairs of every node's candidates.
        Parallel.For(0, n, po, () => new JoinScratch(2 * mc, d), (v, _, s) =>
        {
            int a = newN[v], b = oldN[v];
            if (a == 0) return s;
            var members = s.Members.AsSpan(0, a + b);
            newC.AsSpan(v * mc, a).CopyTo(members);
            oldC.AsSpan(v * mc, b).CopyTo(members[a..]);
            s.Load(data, d, members);
            s.Tile(a, a + b, d);
            // Snapshot of every member's current worst distance (+inf while its heap is not full):
            // heaps only improve, so this stale bound filters offers safely and spares a random
            // memory access per pair; Offer re-checks under the lock.
            var bound = s.Bounds.AsSpan(0, a + b);
            for (int y = 0; y < a + b; y++)
            {
                int m = members[y];
                bound[y] = Volatile.Read(ref st.Count[m]) == cap ? Volatile.Read(ref st.Dist[m * cap]) : double.PositiveInfinity;
            }
            for (int x = 0; x < a; x++)
            {
                int p = members[x];
                double bp = bound[x];
                for (int y = x + 1; y < a + b; y++)
                {
                    double dist = s.At(x, y);
                    bool toP = dist <= bp, toQ = dist <= bound[y];
                    if (!toP && !toQ) continue;
                    int q = members[y];
                    if (p == q) continue;
                    if (toP) st.Offer(p, q, dist, Fresh);
                    if (toQ) st.Offer(q, p, dist, Fresh);
                }
            }
            return s;
        }, _ => { });
        // 4. Count what entered the heaps this round; it becomes ordinary "new".
        long changed = 0;
        for (long t = 0; t < st.Flags.Length; t++)
            if (st.Flags[t] == Fresh) { st.Flags[t] = New; changed++; }
        return changed;
    }

    /// <summary>Per-thread buffers: gathered rows, their transposed pack and the distance tile.</summary>
    sealed class JoinScratch(int maxMembers, int d)
    {
        readonly int _stride = Distances.PackedStride(maxMembers);
        public readonly int[] Members = new int[maxMembers];
        public readonly double[] Bounds = new double[maxMembers];
        readonly double[] _rows = new double[maxMembers * d];
        readonly double[] _packed = new double[Distances.PackedStride(maxMembers) * d];
        readonly double[] _tile = new double[maxMembers * Distances.PackedStride(maxMembers)];
        int _count;

        public void Load(double[] data, int d, ReadOnlySpan<int> members)
        {
            _count = members.Length;
            for (int r = 0; r < members.Length; r++) Array.Copy(data, members[r] * d, _rows, r * d, d);
            Distances.PackTransposed(_rows, _count, d, _packed, _stride);
        }

        /// <summary>Distances of the first <paramref name="queries"/> members to the first <paramref name="refs"/>.</summary>
        public void Tile(int queries, int refs, int d) =>
            Distances.SquaredEuclideanTile(_rows, queries, d, _packed, refs, _stride, _tile, _stride, sqrt: true);

        public double At(int q, int r) => _tile[q * _stride + r];
    }

    static NeighborGraph Finish(double[] data, int n, int d, int k, State st)
    {
        int cap = st.Cap;
        var indices = new int[n * k];
        var distances = new double[n * k];
        var incomplete = new List<int>();
        for (int i = 0; i < n; i++)
        {
            indices[i * k] = i;
            if (cap == 0) continue;
            if (st.Count[i] < cap) { incomplete.Add(i); continue; }
            KnnHeap.SortAscending(st.D(i), st.I(i), cap);
            st.I(i).CopyTo(indices.AsSpan(i * k + 1, cap));
            st.D(i).CopyTo(distances.AsSpan(i * k + 1, cap));
        }
        // Rows the forest and the joins could not fill (tiny or strongly clustered data) are
        // completed by brute force.
        if (incomplete.Count > 0)
        {
            var fill = ExactNeighbors.SearchSubset(data, n, d, incomplete.ToArray(), k, 1);
            for (int r = 0; r < incomplete.Count; r++)
            {
                fill.IndicesOf(r).CopyTo(indices.AsSpan(incomplete[r] * k, k));
                fill.DistancesOf(r).CopyTo(distances.AsSpan(incomplete[r] * k, k));
            }
        }
        return new NeighborGraph(n, k, indices, distances);
    }
}
