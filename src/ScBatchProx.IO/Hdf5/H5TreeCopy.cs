using System.Reflection;
using System.Runtime.CompilerServices;
using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace ScBatchProx.IO;

/// <summary>
/// Reads a whole HDF5 file into PureHDF's writable object model (groups, datasets, attributes with
/// their values and HDF5 types), so a file can be rewritten with a few entries changed and
/// everything else kept exactly. Large numeric and string datasets are only declared: their values
/// are copied block by block while the copy is written (<see cref="H5Copy.Write"/>), so a copy never
/// holds a second whole embedding or a million obs names in memory.
/// </summary>
internal sealed class H5TreeCopy
{
    // A dataset of at least this many values is streamed; one block holds about this many.
    internal const int StreamFrom = 1 << 20;

    // Object references (only anndata 0.7 files use them, for obs categories) must point at the copy
    // of their target, so values holding references are set once the whole tree is copied. PureHDF
    // writes objects in this visiting order and can only reference objects already written, so a
    // reference to a later object (e.g. obs/x -> uns/x_categories) is rejected rather than written
    // as a broken (zero) reference.
    readonly List<(IH5Object Source, H5Object Copy)> _objects = [];
    readonly List<Action> _referenceFixups = [];

    readonly List<Action<H5NativeWriter>> _streamed = [];
    readonly H5Input _input;

    H5TreeCopy(H5Input input) => _input = input;

    public static H5Copy ReadAll(H5Input input)
    {
        var copy = new H5TreeCopy(input);
        var root = new H5File();
        copy.Fill(root, input.Root);
        if (copy._referenceFixups.Count > 0)
        {
            copy._byAddress = copy._objects.Select((o, order) => (o, order))
                .ToDictionary(x => AddressOf((NativeObject)x.o.Source), x => (x.order, x.o.Copy));
            foreach (var fixup in copy._referenceFixups) fixup();
        }
        return new H5Copy(root, copy._streamed);
    }

    Dictionary<ulong, (int Order, H5Object Copy)>? _byAddress;

    void Fill(H5Group target, IH5Group source)
    {
        _objects.Add((source, target));
        CopyAttributes(source, target);
        foreach (var child in source.Children())
        {
            switch (child)
            {
                case IH5Group group:
                    var g = new H5Group();
                    target[child.Name] = g;
                    Fill(g, group);
                    break;
                case IH5Dataset dataset:
                    CopyDataset(target, child.Name, dataset);
                    break;
                default:
                    throw new NotSupportedException($"'{child.Name}' is a {child.GetType().Name} (only groups and datasets are copied)");
            }
        }
    }

    void CopyDataset(H5Group parent, string name, IH5Dataset source)
    {
        var values = H5Values.Of(source);
        if (Streamable(source) is { } element)
        {
            var declared = (H5Dataset)StreamMethod.MakeGenericMethod(element).Invoke(this, BindingFlags.DoNotWrapExceptions, null, [source, name], null)!;
            CopyAttributes(source, declared);
            parent[name] = declared;
            _objects.Add((source, declared));
            return;
        }
        var data = H5Values.Read(values);
        var dims = H5Values.Dims(values);
        if (HoldsReferences(data))
        {
            // Built once references can be mapped; it cannot itself be a reference target then.
            int visited = _objects.Count;
            _referenceFixups.Add(() => parent[name] = WithAttributes(H5Storage.Dataset(MapReferences(data, visited), dims)));
            return;
        }
        var copy = WithAttributes(H5Storage.Dataset(data, dims));
        parent[name] = copy;
        _objects.Add((source, copy));

        H5Dataset WithAttributes(H5Dataset dataset)
        {
            CopyAttributes(source, dataset);
            return dataset;
        }
    }

    /// <summary>The element type of a dataset to stream: large, and numbers or strings (no references, no bools).</summary>
    static Type? Streamable(IH5Dataset source)
    {
        if (source.Space.Type != H5DataspaceType.Simple || source.Space.Dimensions.Length == 0) return null;
        if (source.Space.Dimensions.Aggregate(1UL, (a, d) => a * d) < StreamFrom) return null;
        var element = H5Values.ElementType(source.Type);
        return element.IsPrimitive || element == typeof(string) ? element : null;
    }

    static readonly MethodInfo StreamMethod = typeof(H5TreeCopy).GetMethod(nameof(Stream), BindingFlags.Instance | BindingFlags.NonPublic)!;

    /// <summary>
    /// Declares the copy of <paramref name="source"/> (contiguous and uncompressed, as anndata writes
    /// arrays by default) and queues the block-by-block copy of its values, whole leading-axis rows at a time.
    /// </summary>
    H5Dataset Stream<T>(IH5Dataset source, string name)
    {
        var dims = source.Space.Dimensions;
        var copy = new H5Dataset<T[]>(fileDims: dims);
        ulong rowValues = dims.Skip(1).Aggregate(1UL, (a, d) => a * d);
        ulong rowsPerBlock = Math.Max(1, (ulong)StreamFrom / Math.Max(rowValues, 1));
        _streamed.Add(writer =>
        {
            for (ulong start = 0; start < dims[0]; start += rowsPerBlock)
            {
                ulong rows = Math.Min(rowsPerBlock, dims[0] - start);
                var selection = new HyperslabSelection(dims.Length, [start, .. new ulong[dims.Length - 1]], [rows, .. dims.Skip(1)]);
                var block = _input.Guard(name, () => source.Read<T[]>(fileSelection: selection));
                writer.Write(copy, block, fileSelection: selection);
            }
        });
        return copy;
    }

    void CopyAttributes(IH5Object source, H5Object target)
    {
        foreach (var attribute in source.Attributes())
        {
            var values = H5Values.Of(attribute);
            var dims = H5Values.Dims(values);
            var data = H5Values.Read(values);
            var name = attribute.Name;
            int visited = _objects.Count;
            if (HoldsReferences(data))
                _referenceFixups.Add(() => target.Attributes[name] = new H5Attribute(MapReferences(data, visited), dims.Length == 0 ? null : dims));
            else
                target.Attributes[name] = new H5Attribute(data, dims.Length == 0 ? null : dims);
        }
    }

    static bool HoldsReferences(object data) => data is NativeObjectReference1 or NativeObjectReference1[];

    /// <summary>References to copies of objects visited before the first <paramref name="visited"/> ones.</summary>
    object MapReferences(object data, int visited) => data switch
    {
        NativeObjectReference1 r => new H5ObjectReference(Target(r, visited)),
        NativeObjectReference1[] rs => rs.Select(r => new H5ObjectReference(Target(r, visited))).ToArray(),
        _ => data,
    };

    H5Object Target(NativeObjectReference1 reference, int visited)
    {
        if (!_byAddress!.TryGetValue(Unsafe.As<NativeObjectReference1, ulong>(ref reference), out var target))
            throw new NotSupportedException("an object reference to an object that is not linked in the file");
        if (target.Order >= visited)
            throw new NotSupportedException("an object reference to an object stored later in the file (PureHDF can only write references to earlier objects)");
        return target.Copy;
    }

    // PureHDF 2.2 exposes no object addresses. An object reference is the target's header address (its
    // only field), and NativeObject keeps its own address internally; reading that is the one way to
    // map references onto copied objects. Fails clearly if a PureHDF update renames it.
    static ulong AddressOf(NativeObject o)
    {
        var named = typeof(NativeObject).GetProperty("Reference", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(o);
        return named?.GetType().GetProperty("Value")?.GetValue(named) as ulong?
            ?? throw new NotSupportedException("this PureHDF version hides object addresses, so object references cannot be copied");
    }
}

/// <summary>A file read by <see cref="H5TreeCopy"/>: its object tree, and the values still to be copied from the open source.</summary>
internal sealed class H5Copy(H5File root, IReadOnlyList<Action<H5NativeWriter>> streamed)
{
    public H5File Root => root;

    /// <summary>Writes the tree to <paramref name="path"/>, then the streamed datasets block by block; the source must still be open.</summary>
    public void Write(string path)
    {
        using var writer = root.BeginWrite(path);
        foreach (var copy in streamed) copy(writer);
    }
}
