import Foundation

/// Where validation Jobs keep what the pod's emptyDir would lose: the executed notebook, the
/// full JSON report and the verdict, under `<spec name>/<content hash>/` (the hash is the Job
/// name's suffix, so every version of a spec's content has its own folder and a re-run of the
/// same Job overwrites its own files only).
///
/// An environment names one store (`results` of an overlay); a spec may name its own or opt
/// out with the `nbgitops.dev/results` annotation. Credentials are a Secret's name, never values.
public enum ResultsStore: Sendable, Hashable {
    /// A PersistentVolumeClaim, mounted read-write at `PodLayout.resultsDirectory`; `path` is a
    /// relative folder inside it ("" for its root).
    case claim(name: String, path: String)
    /// An S3-compatible bucket, written with signed `PUT`s from the validate container.
    case s3(S3Bucket)

    /// How the store is shown in messages and in the verdict's `results` field:
    /// `pvc://claim/path`, `s3://bucket/prefix`.
    public var location: String {
        switch self {
        case .claim(let name, let path): return "pvc://" + name + (path.isEmpty ? "" : "/" + path)
        case .s3(let bucket): return "s3://" + bucket.bucket + (bucket.prefix.isEmpty ? "" : "/" + bucket.prefix)
        }
    }
}

/// An S3-compatible bucket and how to reach it.
public struct S3Bucket: Sendable, Hashable {
    public var bucket: String
    /// A relative key prefix ("" for the bucket's root).
    public var prefix: String
    /// `https://host[:port]`; requests are path-style (`endpoint/bucket/key`), which AWS, MinIO,
    /// Ceph RGW and OpenShift Data Foundation all accept.
    public var endpoint: String
    public var region: String
    /// The Secret with keys `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (optionally
    /// `AWS_SESSION_TOKEN`), mounted as files into the validate container only.
    public var credentialsSecret: String
    /// The ConfigMap (in the Job's namespace) whose files are CA certificates the uploader
    /// trusts besides the image's system bundle: an in-cluster endpoint's certificate is
    /// signed by a cluster CA no notebook image knows (OpenShift's service CA).
    public var caConfigMap: String?

    public init(
        bucket: String, prefix: String, endpoint: String, region: String, credentialsSecret: String,
        caConfigMap: String? = nil
    ) {
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.region = region
        self.credentialsSecret = credentialsSecret
        self.caConfigMap = caConfigMap
    }

    /// The default endpoint of a region (AWS S3).
    public static func awsEndpoint(region: String) -> String { "https://s3.\(region).amazonaws.com" }
    public static let defaultRegion = "us-east-1"
    /// The Secret keys the validate container reads.
    public static let secretKeys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
}

/// `results` of an overlay, resolved: each field with the overlay line that set it.
public struct ResultsSettings: Sendable {
    public var claim: Traced<String?>
    /// A relative folder (claim) or key prefix (bucket) the results go below.
    public var path: Traced<String?>
    public var s3Bucket: Traced<String?>
    public var s3Endpoint: Traced<String?>
    public var s3Region: Traced<String?>
    public var s3CredentialsSecret: Traced<String?>
    /// `results.s3.caConfigMap`: on OpenShift `openshift-service-ca.crt` unless set (the
    /// ConfigMap OpenShift publishes into every namespace, holding the service CA that signs
    /// in-cluster endpoints such as OpenShift Data Foundation's `s3.openshift-storage.svc`);
    /// on Kubernetes none unless set (`kube-root-ca.crt` signs the API server, not services).
    public var s3CAConfigMap: Traced<String?> = .byDefault(nil, "the image's system CA bundle only")

    public init(
        claim: Traced<String?> = .byDefault(nil, ResultsSettings.unsetReason),
        path: Traced<String?> = .byDefault(nil, "the store's root"),
        s3Bucket: Traced<String?> = .byDefault(nil, ResultsSettings.unsetReason),
        s3Endpoint: Traced<String?> = .byDefault(nil, "AWS S3 of the region"),
        s3Region: Traced<String?> = .byDefault(nil, "us-east-1"),
        s3CredentialsSecret: Traced<String?> = .byDefault(nil, "no credentials named")
    ) {
        self.claim = claim
        self.path = path
        self.s3Bucket = s3Bucket
        self.s3Endpoint = s3Endpoint
        self.s3Region = s3Region
        self.s3CredentialsSecret = s3CredentialsSecret
    }

    /// The ConfigMap OpenShift publishes into every namespace with the service CA
    /// (key `service-ca.crt`).
    public static let openShiftServiceCA = "openshift-service-ca.crt"

    public static let unsetReason = "no results store: the executed notebook and report live only as long as the pod"

    /// The bucket settings with `bucket` and `prefix` in place of the environment's; nil
    /// without `results.s3.credentialsSecret` (NBG138).
    public func s3(bucket: String, prefix: String) -> S3Bucket? {
        guard let secret = s3CredentialsSecret.value else { return nil }
        let region = s3Region.value ?? S3Bucket.defaultRegion
        return S3Bucket(
            bucket: bucket, prefix: prefix, endpoint: s3Endpoint.value ?? S3Bucket.awsEndpoint(region: region),
            region: region, credentialsSecret: secret, caConfigMap: s3CAConfigMap.value)
    }

    /// The environment's store: nil when none is named, or when it is unusable (both a claim
    /// and a bucket, a bucket without credentials: NBG138 reports it).
    public var store: Traced<ResultsStore>? {
        let path = path.value ?? ""
        switch (claim.value, s3Bucket.value) {
        case (let name?, nil): return Traced(.claim(name: name, path: path), claim.origin)
        case (nil, let bucket?):
            return s3(bucket: bucket, prefix: path).map { Traced(.s3($0), s3Bucket.origin) }
        default: return nil
        }
    }
}

/// A spec's `nbgitops.dev/results` annotation: `none`, `pvc://CLAIM[/PATH]` or
/// `s3://BUCKET[/PREFIX]` (the bucket reached with the environment's `results.s3` endpoint,
/// region and credentials).
public enum ResultsAnnotation: Sendable, Hashable {
    case none
    case claim(name: String, path: String)
    case bucket(name: String, prefix: String)

    /// The parsed value, or why it is malformed.
    public static func parse(_ text: String) -> Result<ResultsAnnotation, ResultsAnnotationError> {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value == "none" { return .success(.none) }
        for (scheme, isClaim) in [("pvc://", true), ("s3://", false)] where value.hasPrefix(scheme) {
            let rest = value.dropFirst(scheme.count)
            let name = String(rest.prefix { $0 != "/" })
            let path = String(rest.dropFirst(name.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if isClaim ? !NameChecks.isDNSSubdomain(name) : !ResultsPaths.isBucketName(name) {
                return .failure(ResultsAnnotationError("'\(name)' is not a valid \(isClaim ? "claim" : "bucket") name"))
            }
            if let problem = ResultsPaths.problem(with: path) { return .failure(ResultsAnnotationError(problem)) }
            return .success(isClaim ? .claim(name: name, path: path) : .bucket(name: name, prefix: path))
        }
        return .failure(ResultsAnnotationError("it is neither 'none', 'pvc://CLAIM[/PATH]' nor 's3://BUCKET[/PREFIX]'"))
    }
}

public struct ResultsAnnotationError: Error, Sendable, Hashable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// The names and folders a results store accepts.
public enum ResultsPaths {
    /// S3 bucket naming rules: 3–63 lowercase letters, digits, '.' and '-', a letter or digit
    /// at both ends.
    public static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 3, bytes.count <= 63 else { return false }
        func alnum(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 0x2D || $0 == 0x2E }
    }

    /// Why a relative folder is unusable, or nil: segments of letters, digits, '.', '_' and
    /// '-', none of them '.' or '..' (a results folder must not escape its store).
    public static func problem(with path: String) -> String? {
        if path.isEmpty { return nil }
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." {
                return "the path '\(path)' must be relative, without empty, '.' or '..' segments"
            }
            let allowed = segment.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0)
            }
            if !allowed { return "the path '\(path)' may hold only letters, digits, '.', '_', '-' and '/'" }
        }
        return nil
    }
}

extension NotebookValidationJob {
    /// Where this job saves its results in `environment`, with what named the store (the
    /// annotation or the overlay line); nil: nowhere (none named, opted out, or unusable:
    /// NBG138 reports the last).
    public func resultsStore(in environment: Environment) -> Traced<ResultsStore>? {
        guard let text = annotations[AnnotationKey.results] else { return environment.results.store }
        let origin = Origin.spec(resultsAnnotationLocation)
        switch ResultsAnnotation.parse(text) {
        case .failure, .success(.none): return nil
        case .success(.claim(let name, let path)): return Traced(.claim(name: name, path: path), origin)
        case .success(.bucket(let name, let prefix)):
            return environment.results.s3(bucket: name, prefix: prefix).map { Traced(.s3($0), origin) }
        }
    }

    /// Where the `nbgitops.dev/results` annotation's value is written (else the job's name).
    public var resultsAnnotationLocation: SourceLocation {
        sourceMap["metadata.annotations" + SourceMap.component(AnnotationKey.results)] ?? name.location
    }
}

extension ResultsStore {
    /// The claim, located where the store was named, when the store is one.
    func claim(at origin: Origin, fallback: SourceLocation) -> Located<String>? {
        guard case .claim(let name, _) = self else { return nil }
        return Located(name, at: origin.location ?? fallback)
    }
}
