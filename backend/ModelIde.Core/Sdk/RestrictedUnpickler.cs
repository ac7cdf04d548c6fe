using System.Buffers.Binary;
using System.Text;

namespace ModelIde.Core.Sdk;

/// <summary>A class a pickle names (<c>module.name</c>); only ones on the reader's allow-list are ever produced.</summary>
public sealed record PickleClass(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>An instance a pickle built with NEWOBJ + BUILD: its class and the state dictionary it was given. Nothing runs.</summary>
public sealed class PickledObject(PickleClass type)
{
    public PickleClass Type { get; } = type;

    public object? State { get; set; }

    /// <summary>The state's attribute <paramref name="name"/> (state is a dict of attribute names), or null.</summary>
    public object? Attribute(string name) => State is Dictionary<object, object?> d && d.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Reads Python pickles (protocols 2-5) of plain data and of objects whose classes are on an allow-list, without
/// executing anything: there is no REDUCE, INST, OBJ or extension registry, classes become <see cref="PickleClass"/>
/// values, and instances are <see cref="PickledObject"/> records (class + state). Any other opcode or class is refused
/// with the reason. Values: null, bool, long, double, string, byte[], object?[] (tuple), List&lt;object?&gt;,
/// Dictionary&lt;object, object?&gt;, PickledObject. The ModelScope SDK pickles its cookie jar and cache metadata
/// (docs/modelscope-api.md §2.1, §3.1); this reads them without running the pickle's code.
/// </summary>
public sealed class RestrictedUnpickler
{
    public const int MaxBytes = 1 << 20;
    private readonly HashSet<PickleClass> _allowed;

    public RestrictedUnpickler(IEnumerable<PickleClass> allowedClasses)
    {
        _allowed = [.. allowedClasses];
    }

    /// <summary>Returns the pickled value, or throws <see cref="InvalidDataException"/> saying what was refused.</summary>
    public object? Load(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxBytes)
        {
            throw new InvalidDataException($"the pickle is {data.Length} bytes, more than the {MaxBytes} this reader accepts");
        }

        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        var pos = 0;
        while (true)
        {
            if (pos >= data.Length)
            {
                throw new InvalidDataException("the pickle ends before its STOP opcode");
            }

            var op = data[pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    var protocol = Take(data, ref pos, 1)[0];
                    if (protocol is < 2 or > 5)
                    {
                        throw new InvalidDataException($"pickle protocol {protocol} is not supported (2 to 5 are)");
                    }

                    break;
                case 0x95: // FRAME: a length prefix only
                    Take(data, ref pos, 8);
                    break;
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0)
                    {
                        throw new InvalidDataException("the pickle's STOP leaves a malformed stack");
                    }

                    return stack[0];
                case (byte)'(': // MARK
                    marks.Push(stack.Count);
                    break;
                case (byte)'N':
                    stack.Add(null);
                    break;
                case 0x88: // NEWTRUE
                    stack.Add(true);
                    break;
                case 0x89: // NEWFALSE
                    stack.Add(false);
                    break;
                case (byte)'J': // BININT
                    stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref pos, 4)));
                    break;
                case (byte)'K': // BININT1
                    stack.Add((long)Take(data, ref pos, 1)[0]);
                    break;
                case (byte)'M': // BININT2
                    stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, ref pos, 2)));
                    break;
                case 0x8a: // LONG1: little-endian two's complement of n bytes
                    stack.Add(ReadLong(Take(data, ref pos, Take(data, ref pos, 1)[0])));
                    break;
                case (byte)'G': // BINFLOAT
                    stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(data, ref pos, 8)));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    stack.Add(Utf8(Take(data, ref pos, Take(data, ref pos, 1)[0])));
                    break;
                case (byte)'X': // BINUNICODE
                    stack.Add(Utf8(Take(data, ref pos, Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4))))));
                    break;
                case 0x8d: // BINUNICODE8
                    stack.Add(Utf8(Take(data, ref pos, Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref pos, 8))))));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    stack.Add(Take(data, ref pos, Take(data, ref pos, 1)[0]).ToArray());
                    break;
                case (byte)'B': // BINBYTES
                    stack.Add(Take(data, ref pos, Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4)))).ToArray());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    stack.Add(Array.Empty<object?>());
                    break;
                case 0x85: // TUPLE1
                case 0x86: // TUPLE2
                case 0x87: // TUPLE3
                    var n = op - 0x84;
                    Need(stack, n);
                    stack.Add(PopRange(stack, stack.Count - n).ToArray());
                    break;
                case (byte)'t': // TUPLE
                    stack.Add(PopRange(stack, PopMark(marks)).ToArray());
                    break;
                case (byte)']': // EMPTY_LIST
                    stack.Add(new List<object?>());
                    break;
                case (byte)'a': // APPEND
                    Need(stack, 2);
                    var item = Pop(stack);
                    As<List<object?>>(Peek(stack), "APPEND").Add(item);
                    break;
                case (byte)'e': // APPENDS
                    var items = PopRange(stack, PopMark(marks));
                    Need(stack, 1);
                    As<List<object?>>(Peek(stack), "APPENDS").AddRange(items);
                    break;
                case (byte)'}': // EMPTY_DICT
                    stack.Add(new Dictionary<object, object?>());
                    break;
                case (byte)'s': // SETITEM
                    Need(stack, 3);
                    var value = Pop(stack);
                    var key = Pop(stack);
                    As<Dictionary<object, object?>>(Peek(stack), "SETITEM")[Key(key)] = value;
                    break;
                case (byte)'u': // SETITEMS
                    var pairs = PopRange(stack, PopMark(marks));
                    Need(stack, 1);
                    if (pairs.Count % 2 != 0)
                    {
                        throw new InvalidDataException("SETITEMS has an odd number of items");
                    }

                    var dict = As<Dictionary<object, object?>>(Peek(stack), "SETITEMS");
                    for (var i = 0; i < pairs.Count; i += 2)
                    {
                        dict[Key(pairs[i])] = pairs[i + 1];
                    }

                    break;
                case 0x94: // MEMOIZE
                    Need(stack, 1);
                    memo[memo.Count] = Peek(stack);
                    break;
                case (byte)'q': // BINPUT
                    Need(stack, 1);
                    memo[Take(data, ref pos, 1)[0]] = Peek(stack);
                    break;
                case (byte)'r': // LONG_BINPUT
                    Need(stack, 1);
                    memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4))] = Peek(stack);
                    break;
                case (byte)'h': // BINGET
                    stack.Add(Memo(memo, Take(data, ref pos, 1)[0]));
                    break;
                case (byte)'j': // LONG_BINGET
                    stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4))));
                    break;
                case (byte)'c': // GLOBAL: "module\nname\n"
                    stack.Add(Class(ReadLine(data, ref pos), ReadLine(data, ref pos)));
                    break;
                case 0x93: // STACK_GLOBAL
                    Need(stack, 2);
                    var name = Pop(stack);
                    var module = Pop(stack);
                    stack.Add(Class(module as string ?? throw new InvalidDataException("STACK_GLOBAL without a module name"), name as string ?? throw new InvalidDataException("STACK_GLOBAL without a class name")));
                    break;
                case 0x81: // NEWOBJ: cls.__new__(cls, *args); only argument-less construction of an allowed class
                    Need(stack, 2);
                    var args = Pop(stack);
                    var cls = Pop(stack);
                    if (args is not object?[] { Length: 0 } || cls is not PickleClass type)
                    {
                        throw new InvalidDataException("NEWOBJ with arguments or without a class is not supported");
                    }

                    stack.Add(new PickledObject(type));
                    break;
                case (byte)'b': // BUILD: sets the state of the object below it
                    Need(stack, 2);
                    var state = Pop(stack);
                    As<PickledObject>(Peek(stack), "BUILD").State = state;
                    break;
                default:
                    throw new InvalidDataException($"pickle opcode 0x{op:x2} at byte {pos - 1} is not allowed (this reader never calls functions or builds other objects)");
            }

            if (stack.Count > 100_000 || memo.Count > 100_000)
            {
                throw new InvalidDataException("the pickle holds more values than a cookie jar or cache record could");
            }
        }
    }

    private PickleClass Class(string module, string name)
    {
        var cls = new PickleClass(module, name);
        return _allowed.Contains(cls)
            ? cls
            : throw new InvalidDataException($"the pickle names the class {Printable(cls.ToString())}, which this reader does not build");
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int pos, int count)
    {
        if (count < 0 || count > data.Length - pos)
        {
            throw new InvalidDataException("the pickle is truncated");
        }

        var span = data.Slice(pos, count);
        pos += count;
        return span;
    }

    private static int Length(ulong length) =>
        length > MaxBytes ? throw new InvalidDataException("a string in the pickle is longer than the pickle") : (int)length;

    private static string ReadLine(ReadOnlySpan<byte> data, ref int pos)
    {
        var end = data[pos..].IndexOf((byte)'\n');
        if (end < 0 || end > 256)
        {
            throw new InvalidDataException("a GLOBAL name in the pickle is not terminated");
        }

        var text = Encoding.ASCII.GetString(data.Slice(pos, end));
        pos += end + 1;
        return text;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("a string in the pickle is not valid UTF-8");
        }
    }

    private static long ReadLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
        {
            throw new InvalidDataException("an integer in the pickle is wider than 64 bits");
        }

        long value = 0;
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        // Sign-extend from the top bit of the last byte.
        var bits = bytes.Length * 8;
        return bits is > 0 and < 64 && (bytes[^1] & 0x80) != 0 ? value - (1L << bits) : value;
    }

    private static object Key(object? key) => key switch
    {
        string or long or bool or double => key,
        null => throw new InvalidDataException("a dictionary key in the pickle is None"),
        _ => throw new InvalidDataException($"a dictionary key in the pickle is a {key.GetType().Name}, not a string or number"),
    };

    private static object? Memo(Dictionary<long, object?> memo, long index) =>
        memo.TryGetValue(index, out var value) ? value : throw new InvalidDataException($"the pickle refers to memo entry {index}, which it never stored");

    private static int PopMark(Stack<int> marks) =>
        marks.Count > 0 ? marks.Pop() : throw new InvalidDataException("the pickle uses a MARK it never set");

    private static void Need(List<object?> stack, int count)
    {
        if (stack.Count < count)
        {
            throw new InvalidDataException("the pickle's stack is shorter than an opcode needs");
        }
    }

    private static object? Pop(List<object?> stack)
    {
        var top = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return top;
    }

    private static object? Peek(List<object?> stack) => stack[^1];

    private static List<object?> PopRange(List<object?> stack, int from)
    {
        if (from > stack.Count)
        {
            throw new InvalidDataException("the pickle's MARK is above the stack");
        }

        var items = stack.GetRange(from, stack.Count - from);
        stack.RemoveRange(from, stack.Count - from);
        return items;
    }

    private static T As<T>(object? value, string opcode) where T : class =>
        value as T ?? throw new InvalidDataException($"{opcode} applied to a {value?.GetType().Name ?? "None"}");

    private static string Printable(string text) => new(text.Take(120).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
