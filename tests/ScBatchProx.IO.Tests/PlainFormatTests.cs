using System.Buffers.Binary;
using System.Text;
using ScBatchProx.Data;

namespace ScBatchProx.IO.Tests;

public class PlainFormatTests
{
    static readonly Embedding Sample = new(3, 2, [0.1f, -2.5e-8f, float.MaxValue, 1f / 3f, -0f, 12345.678f]);

    [Theory]
    [InlineData("e.csv", true)]
    [InlineData("e.csv", false)]
    [InlineData("e.tsv", true)]
    [InlineData("e.tsv", false)]
    [InlineData("e.npy", false)]
    public void Round_trip_keeps_every_bit(string name, bool withNames)
    {
        using var tmp = new TempDir();
        string[]? names = withNames ? ["cell,1", "cell \"2\"", "3"] : null;
        PlainEmbedding.Write(tmp.File(name), Sample, names);
        var back = PlainEmbedding.Read(tmp.File(name));
        Bits.Equal(Sample, back.Embedding);
        Assert.Equal(names, back.ObsNames);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Theory]
    [InlineData("1,2\n3,4\n", null)]                          // numbers only
    [InlineData("PC1,PC2\n1,2\n3,4\n", null)]                 // header only
    [InlineData("a,1,2\nb,3,4\n", "a b")]                     // names only
    [InlineData("cell,PC1,PC2\na,1,2\nb,3,4\n", "a b")]       // header and names
    [InlineData(",0,1\na,1,2\nb,3,4\n", "a b")]               // pandas to_csv with numbered columns
    [InlineData("\"x\",\"y\"\n1,2\n3,4\n\n", null)]           // quoted header, trailing blank line
    public void Header_and_names_are_detected(string content, string? names)
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("e.csv"), content);
        var read = PlainEmbedding.Read(tmp.File("e.csv"));
        Bits.Equal(new Embedding(2, 2, [1, 2, 3, 4]), read.Embedding);
        Assert.Equal(names?.Split(' '), read.ObsNames);
    }

    [Fact]
    public void Tsv_reads_nan_and_infinities()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("e.tsv"), "nan\tinf\n-inf\t1e-3\n");
        var e = PlainEmbedding.Read(tmp.File("e.tsv")).Embedding;
        Assert.True(float.IsNaN(e[0, 0]));
        Assert.Equal(float.PositiveInfinity, e[0, 1]);
        Assert.Equal(float.NegativeInfinity, e[1, 0]);
        Assert.Equal(1e-3f, e[1, 1]);
    }

    [Fact]
    public void Bad_csv_cell_names_line_and_column()
    {
        using var tmp = new TempDir();
        var path = tmp.File("e.csv");
        File.WriteAllText(path, "PC1,PC2\n1,2\n3,x4\n");
        var e = Assert.Throws<InputError>(() => PlainEmbedding.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 3, column 2: 'x4'", e.Message);
        File.WriteAllText(path, "1,2\n3\n");
        Assert.Contains("line 2 has 1 fields", Assert.Throws<InputError>(() => PlainEmbedding.Read(path)).Message);
    }

    [Fact]
    public void Unsupported_npy_dtype_and_rank_are_named()
    {
        using var tmp = new TempDir();
        var path = tmp.File("e.npy");
        File.WriteAllBytes(path, NpyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", new byte[16]));
        var e = Assert.Throws<InputError>(() => PlainEmbedding.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'<i4' is not supported", e.Message);
        File.WriteAllBytes(path, NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[16]));
        Assert.Contains("2-D", Assert.Throws<InputError>(() => PlainEmbedding.Read(path)).Message);
        File.WriteAllBytes(path, NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", new byte[16]));
        Assert.Contains("truncated", Assert.Throws<InputError>(() => PlainEmbedding.Read(path)).Message);
    }

    [Fact]
    public void Fortran_order_npy_is_transposed_into_rows()
    {
        using var tmp = new TempDir();
        var path = tmp.File("f.npy");
        // Column-major storage of [[1, 2, 3], [4, 5, 6]].
        var body = new byte[24];
        float[] columnMajor = [1, 4, 2, 5, 3, 6];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(i * 4), columnMajor[i]);
        File.WriteAllBytes(path, NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", body));
        Bits.Equal(new Embedding(2, 3, [1, 2, 3, 4, 5, 6]), PlainEmbedding.Read(path).Embedding);
    }

    static byte[] NpyBytes(string dict, byte[] body)
    {
        var header = dict.PadRight(117) + "\n";
        return [.. new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 }, .. Encoding.ASCII.GetBytes(header), .. body];
    }

    [SkippableFact]
    public void Npy_interoperates_with_numpy()
    {
        Python.RequireModules("numpy");
        using var tmp = new TempDir();
        Python.Check("""
            import sys, numpy as np
            a = np.random.default_rng(3).standard_normal((5, 4))
            np.save(sys.argv[1] + "/c32.npy", a.astype(np.float32))
            np.save(sys.argv[1] + "/c64.npy", a)
            np.save(sys.argv[1] + "/f32.npy", np.asfortranarray(a.astype(np.float32)))
            np.save(sys.argv[1] + "/expected.npy", a.astype(np.float32))
            """, tmp.Path);
        var expected = Bits.Of(ExpectedFromRawBytes(tmp.File("expected.npy")));
        foreach (var name in new[] { "c32.npy", "c64.npy", "f32.npy" })
            Assert.Equal(expected, Bits.Of(PlainEmbedding.Read(tmp.File(name)).Embedding.Data));

        PlainEmbedding.Write(tmp.File("ours.npy"), Sample);
        var hex = Python.Check("""
            import sys, numpy as np
            a = np.load(sys.argv[1])
            print(a.dtype, a.shape, a.flags["C_CONTIGUOUS"], a.tobytes().hex())
            """, tmp.File("ours.npy")).Trim();
        var bytes = new byte[Sample.Data.Length * 4];
        for (int i = 0; i < Sample.Data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), Sample.Data[i]);
        Assert.Equal($"float32 (3, 2) True {Convert.ToHexString(bytes).ToLowerInvariant()}", hex);
    }

    // The data of a C-order float32 .npy, taken straight from the file end (independent of our reader).
    static float[] ExpectedFromRawBytes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[20];
        var body = bytes.AsSpan(bytes.Length - 80);
        for (int i = 0; i < 20; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(body[(i * 4)..]);
        return values;
    }

    [Theory]
    [InlineData("labels.txt", "a\nb\n\na\n", null)]
    [InlineData("labels.txt", "batch\na\nb\n\na\n", "batch")]
    [InlineData("labels.csv", "cell,batch\nc1,a\nc2,b\nc3,\nc4,a\n", "batch")]
    [InlineData("labels.tsv", "cell\tbatch\tx\nc1\ta\t1\nc2\tb\t2\nc3\t\t3\nc4\ta\t4\n", "batch")]
    public void Label_files_give_one_value_per_cell(string name, string content, string? column)
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File(name), content);
        var labels = LabelFile.Read(tmp.File(name), column);
        Assert.Equal(["a", "b"], labels.Categories);
        Assert.Equal([0, 1, -1, 0], labels.Codes);
    }

    [Fact]
    public void Label_file_errors_name_the_problem()
    {
        using var tmp = new TempDir();
        var empty = tmp.File("empty.txt");
        File.WriteAllText(empty, "\n");
        Assert.Contains("empty", Assert.Throws<InputError>(() => LabelFile.Read(empty, null)).Message);
        var table = tmp.File("t.csv");
        File.WriteAllText(table, "cell,donor\nc1,a\n");
        var e = Assert.Throws<InputError>(() => LabelFile.Read(table, "batch"));
        Assert.Contains(table, e.Message);
        Assert.Contains("'batch'", e.Message);
        Assert.Contains("cell, donor", e.Message);
    }
}
