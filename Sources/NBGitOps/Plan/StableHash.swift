/// FNV-1a 64 over bytes: small, fast and identical on every platform and in every process
/// (unlike `Hasher`, which Swift seeds per process). Used for content-derived names, where a
/// collision only costs a needless re-run, so a cryptographic hash is not needed.
public enum StableHash {
    /// `seed`: the hash so far, to continue it over more bytes (the FNV offset basis to start).
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes, seed: UInt64 = fnvOffsetBasis) -> UInt64
    where Bytes.Element == UInt8 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    public static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The hash as 16 lowercase hex digits.
    public static func hex(_ hash: UInt64) -> String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// The first 8 hex digits of the FNV-1a 64 hash of `bytes`: the suffix of Job names.
    public static func shortHex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(hex(fnv1a64(bytes)).prefix(8))
    }
}

extension StableHash {
    /// FNV-1a 64 over a manifest tree's structure, maps in the renderer's canonical key order:
    /// trees that render to the same YAML hash alike, without rendering them. Each value is
    /// written as a type tag, then its length-prefixed bytes, so no two trees share an encoding.
    public static func structural(_ node: ManifestNode) -> UInt64 {
        var hasher = StructuralHasher()
        hasher.add(node)
        return hasher.hash
    }

    /// The first 8 hex digits of `structural(node)`: the suffix of Job names.
    public static func shortHex(_ node: ManifestNode) -> String {
        String(hex(structural(node)).prefix(8))
    }
}

private struct StructuralHasher {
    var hash = StableHash.fnvOffsetBasis

    mutating func byte(_ value: UInt8) {
        hash = StableHash.fnv1a64(CollectionOfOne(value), seed: hash)
    }

    mutating func integer(_ value: Int) {
        var bits = UInt64(bitPattern: Int64(value))
        for _ in 0..<8 {
            byte(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            integer(bytes.count)
            hash = StableHash.fnv1a64(bytes, seed: hash)
        }
    }

    mutating func add(_ node: ManifestNode) {
        switch node {
        case .string(let value):
            byte(1)
            text(value)
        case .int(let value):
            byte(2)
            integer(value)
        case .float(let value):
            byte(3)
            text(value)
        case .bool(let value):
            byte(value ? 5 : 4)
        case .null:
            byte(6)
        case .map(let entries):
            byte(7)
            integer(entries.count)
            for entry in ManifestRenderer.canonicalOrder(entries) {
                text(entry.key)
                add(entry.value)
            }
        case .list(let elements):
            byte(8)
            integer(elements.count)
            for element in elements { add(element) }
        }
    }
}
