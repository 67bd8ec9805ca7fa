using ScBatchProx.Data;
namespace ScBatchProx.Data;

/// <summary>
/// xoshiro256** seeded through SplitMix64: a fixed, documented generator, so a seed means the
/// same stream on every .NET version and machine (System.Random makes no such promise).
/// </summary>
public sealed class SeededRng
{
    ulong _s0, _s1, _s2, _s3;
    double? _spareNormal;

    public SeededRng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>A stream for one named purpose (e.g. a batch), independent of the order streams are created in.</summary>
    public static SeededRng For(ulong seed, string stream, ulong salt = 0) => new(Mix(seed, Fnv1a(stream) ^ salt));

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public static ulong Mix(ulong a, ulong b) { ulong x = a ^ (b * 0x9E3779B97F4A7C15UL); return SplitMix(ref x); }

    /// <summary>64-bit FNV-1a of the UTF-16 code units: a stable string hash (string.GetHashCode is randomised per process).</summary>
    public static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong bound = (ulong)n;
        UInt128 m = (UInt128)NextUInt64() * bound;
        ulong low = (ulong)m;
        if (low < bound)
        {
            ulong threshold = (0 - bound) % bound;
            while (low < threshold) { m = (UInt128)NextUInt64() * bound; low = (ulong)m; }
        }
        return (int)(m >> 64);
    }

    /// <summary>Standard normal deviate (polar Box-Muller).</summary>
    public double NextNormal()
    {
        if (_spareNormal is double spare) { _spareNormal = null; return spare; }
        double u, v, s;
        do { u = 2 * NextDouble() - 1; v = 2 * NextDouble() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareNormal = v * f;
        return u * f;
    }

    /// <summary>In-place Fisher-Yates shuffle.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--) { int j = NextInt(i + 1); (items[i], items[j]) = (items[j], items[i]); }
    }

    /// <summary>A sorted sample of min(count, n) distinct indices from 0..n-1 (all of them when count >= n).</summary>
    public int[] SampleIndices(int n, int count)
    {
        var all = Enumerable.Range(0, n).ToArray();
        if (count >= n) return all;
        // partial Fisher-Yates: first `count` slots become the sample
        for (int i = 0; i < count; i++) { int j = i + NextInt(n - i); (all[i], all[j]) = (all[j], all[i]); }
        var sample = all[..count];
        Array.Sort(sample);
        return sample;
    }
}
