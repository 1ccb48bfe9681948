/// FNV-1a 64 over bytes: small, fast and identical on every platform and in every process
/// (unlike `Hasher`, which Swift seeds per process). Used for content-derived names, where a
/// collision only costs a needless re-run, so a cryptographic hash is not needed.
public enum StableHash {
    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

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
