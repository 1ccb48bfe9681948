/// The fixed shape of every validation pod nbgitops generates: the volumes, mount paths,
/// directories, scripts and environment variables nbgitops itself owns.
///
/// Everything user input must not collide with is listed here exactly once. The Plan stage
/// builds pods from these values and the Check stage computes collisions from the same values,
/// so the two can never disagree.
///
/// Why the layout looks like this: on OpenShift `restricted-v2` runs pods under a random UID
/// whose home directory does not exist and whose image directories are not writable (the
/// runtime `pip install` failures of ADR-023). Every path a tool writes to is therefore
/// inside an `emptyDir` that any UID can write, and `HOME` points into it.
public enum PodLayout {
    /// A volume nbgitops adds to every validation pod (or to pods with SSH credentials).
    public struct ReservedVolume: Sendable, Hashable {
        /// The volume name in the pod spec.
        public var name: String
        /// Where the volume is mounted in the containers that use it.
        public var mountPath: String
        public var readOnly: Bool
        /// What nbgitops keeps there (for messages and docs).
        public var purpose: String

        public init(name: String, mountPath: String, readOnly: Bool, purpose: String) {
            self.name = name
            self.mountPath = mountPath
            self.readOnly = readOnly
            self.purpose = purpose
        }
    }

    /// A path in the container that nbgitops owns: a mount point of a reserved volume or a
    /// directory nbgitops creates inside one.
    public struct ReservedPath: Sendable, Hashable {
        public var path: String
        /// The reserved volume the path belongs to.
        public var volume: String
        /// Whether a user volume may be mounted *below* this path. A mount inside a git checkout
        /// makes the directory non-empty and `git clone` fails; a mount inside a read-only
        /// Secret or ConfigMap volume cannot be created at all.
        public var allowsNestedMounts: Bool
        public var purpose: String

        public init(path: String, volume: String, allowsNestedMounts: Bool, purpose: String) {
            self.path = path
            self.volume = volume
            self.allowsNestedMounts = allowsNestedMounts
            self.purpose = purpose
        }

        /// The mount point of a reserved volume, for its own purpose.
        public init(mountOf volume: ReservedVolume, allowsNestedMounts: Bool) {
            self.init(
                path: volume.mountPath, volume: volume.name, allowsNestedMounts: allowsNestedMounts,
                purpose: volume.purpose)
        }
    }

    // MARK: Volumes

    /// The memory-backed emptyDir a GPU validation pod gets at /dev/shm. Not a reserved path: a
    /// spec may mount its own /dev/shm, and then gets none from nbgitops.
    public static let sharedMemory = ReservedVolume(
        name: "nbgitops-shm", mountPath: "/dev/shm", readOnly: false,
        purpose: "a memory-backed /dev/shm for GPU pods (PyTorch DataLoader workers share tensors there)")

    public static let workspace = ReservedVolume(
        name: "nbgitops-workspace", mountPath: "/workspace", readOnly: false,
        purpose: "scratch space for the checkouts, the executed notebook and HOME")
    /// HOME gets its own emptyDir so that it exists, writable by any UID (emptyDir mount points
    /// are mode 0777), before the first container starts: `git-clone.sh` refuses a missing
    /// HOME, and ssh, pip and Jupyter all write below it.
    public static let home = ReservedVolume(
        name: "nbgitops-home", mountPath: "/workspace/home", readOnly: false,
        purpose: "HOME of every container: caches, pip --user installs, Jupyter runtime files")
    public static let tmp = ReservedVolume(
        name: "nbgitops-tmp", mountPath: "/tmp", readOnly: false,
        purpose: "a writable /tmp (the root filesystem is read-only)")
    public static let scripts = ReservedVolume(
        name: "nbgitops-scripts", mountPath: "/opt/nbgitops/scripts", readOnly: true,
        purpose: "the git-clone and notebook validation scripts")
    public static let gitCredentials = ReservedVolume(
        name: "nbgitops-git-credentials", mountPath: "/etc/nbgitops/git-ssh", readOnly: true,
        purpose: "the SSH key and known_hosts of the notebook repository")
    public static let goldenCredentials = ReservedVolume(
        name: "nbgitops-golden-credentials", mountPath: "/etc/nbgitops/golden-ssh", readOnly: true,
        purpose: "the SSH key and known_hosts of the golden notebook repository")

    /// HTTPS credentials (keys `username`, `password`) as files, read by `git-clone.sh` into a
    /// credential helper: never environment variables, a command line or the shared workspace.
    public static let gitHTTPSCredentials = ReservedVolume(
        name: "nbgitops-git-https", mountPath: "/etc/nbgitops/git-https", readOnly: true,
        purpose: "the HTTPS user name and token of the notebook repository")
    public static let goldenHTTPSCredentials = ReservedVolume(
        name: "nbgitops-golden-https", mountPath: "/etc/nbgitops/golden-https", readOnly: true,
        purpose: "the HTTPS user name and token of the golden notebook repository")
    /// SSH clones: a `passwd` file with an entry for the pod's UID (OpenSSH refuses to run
    /// without one), written by the `git-passwd` init container and mounted read-only over
    /// `/etc/passwd` of the clone containers, whose root filesystem stays read-only.
    public static let passwd = ReservedVolume(
        name: "nbgitops-passwd", mountPath: "/etc/nbgitops/passwd", readOnly: false,
        purpose: "the passwd file giving the pod's UID an entry for OpenSSH")
    /// Pods that call the cluster API (model validation): the files Kubernetes' token
    /// automount would provide (a short-lived, audience-bound token, the cluster CA, the
    /// namespace), projected explicitly and mounted only into the validation container.
    public static let apiAccess = ReservedVolume(
        name: "nbgitops-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true,
        purpose: "the ServiceAccount token, cluster CA and namespace for calls to the cluster API")

    /// A results claim (`results.claim`, `pvc://` annotation), mounted read-write into the
    /// validation container only; `validate-notebook.py` writes below `<spec>/<hash>/`.
    public static let resultsClaim = ReservedVolume(
        name: "nbgitops-results", mountPath: "/workspace/results", readOnly: false,
        purpose: "the results claim: executed notebooks, reports and verdicts")
    /// The S3 credentials of a results bucket (keys `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`)
    /// as files in the validation container only, never environment variables.
    public static let resultsCredentials = ReservedVolume(
        name: "nbgitops-results-s3", mountPath: "/etc/nbgitops/results-s3", readOnly: true,
        purpose: "the access key of the results bucket")
    public static let resultsCA = ReservedVolume(
        name: "nbgitops-results-ca", mountPath: "/etc/nbgitops/results-ca", readOnly: true,
        purpose: "the CA certificates the results upload trusts besides the system bundle")

    /// Every volume nbgitops may add, in the order they appear in a pod spec.
    public static let reservedVolumes: [ReservedVolume] = [
        workspace, home, tmp, scripts, gitCredentials, goldenCredentials, gitHTTPSCredentials,
        goldenHTTPSCredentials, passwd, apiAccess, resultsClaim, resultsCredentials, resultsCA, sharedMemory,
    ]

    /// The file `git-passwd` writes into `passwd` and the clone containers mount over /etc/passwd.
    public static let passwdFile = "passwd"
    /// Validity of the projected API token; the kubelet renews it at 80 % of that, and client
    /// libraries re-read the file (the same as for an automounted token).
    public static let apiTokenExpirationSeconds = 600

    /// Volume names starting with this prefix are reserved for nbgitops (today's and future ones).
    public static let reservedVolumeNamePrefix = "nbgitops-"

    /// Whether a user volume name collides with (or may in future collide with) one of nbgitops'.
    public static func isReservedVolumeName(_ name: String) -> Bool {
        name.hasPrefix(reservedVolumeNamePrefix)
    }

    // MARK: Directories

    /// Checkout of `spec.notebook`.
    public static let checkoutDirectory = "/workspace/notebook"
    /// Checkout of `spec.goldenNotebook`.
    public static let goldenDirectory = "/workspace/golden"
    /// The executed notebook and the validation report.
    public static let outputDirectory = "/workspace/output"
    /// The machine-readable JSON report of `validate-notebook.py`.
    public static let reportFile = outputDirectory + "/report.json"
    /// `HOME` of every container: writable under any UID.
    public static let homeDirectory = home.mountPath
    /// The working directory of the validation container.
    public static let workingDirectory = "/workspace"

    /// Every path nbgitops owns. A user mount path equal to any of these, or below one that
    /// does not allow nested mounts, is a collision (see `collision(forMountPath:)`).
    public static let reservedPaths: [ReservedPath] = [
        ReservedPath(mountOf: workspace, allowsNestedMounts: true),
        ReservedPath(
            path: checkoutDirectory, volume: workspace.name, allowsNestedMounts: false, purpose: "the notebook checkout"
        ),
        ReservedPath(
            path: goldenDirectory, volume: workspace.name, allowsNestedMounts: false,
            purpose: "the golden notebook checkout"),
        ReservedPath(
            path: outputDirectory, volume: workspace.name, allowsNestedMounts: true, purpose: "the executed notebook"),
        ReservedPath(mountOf: home, allowsNestedMounts: true),
        ReservedPath(mountOf: tmp, allowsNestedMounts: true),
        ReservedPath(mountOf: scripts, allowsNestedMounts: false),
        ReservedPath(mountOf: gitCredentials, allowsNestedMounts: false),
        ReservedPath(mountOf: goldenCredentials, allowsNestedMounts: false),
        ReservedPath(mountOf: gitHTTPSCredentials, allowsNestedMounts: false),
        ReservedPath(mountOf: goldenHTTPSCredentials, allowsNestedMounts: false),
        ReservedPath(mountOf: passwd, allowsNestedMounts: false),
        ReservedPath(path: "/etc/passwd", volume: passwd.name, allowsNestedMounts: false, purpose: passwd.purpose),
        ReservedPath(mountOf: apiAccess, allowsNestedMounts: false),
        ReservedPath(mountOf: resultsClaim, allowsNestedMounts: false),
        ReservedPath(mountOf: resultsCredentials, allowsNestedMounts: false),
        ReservedPath(mountOf: resultsCA, allowsNestedMounts: false),
    ]

    /// The reserved path a user volume mount at `mountPath` collides with, if any: the same
    /// path (after normalising `//`, `.`, `..` and a trailing `/`), or a path below a reserved
    /// path that does not allow nested mounts. Mounting *above* a reserved path (`/opt`) is not
    /// a collision: container runtimes mount nested paths after their parents.
    public static func collision(forMountPath mountPath: String) -> ReservedPath? {
        let user = normalize(mountPath)
        for reserved in reservedPaths where reserved.path == user { return reserved }
        for reserved in reservedPaths where !reserved.allowsNestedMounts && user.hasPrefix(reserved.path + "/") {
            return reserved
        }
        return nil
    }

    /// An absolute path with `//`, `.` and `..` resolved and no trailing `/`.
    public static func normalize(_ path: String) -> String {
        Paths.normalizedAbsolute(path)
    }

    // MARK: Scripts

    /// The ConfigMap key and file name of the clone script (from `templates/scripts/`).
    public static let gitCloneScript = "git-clone.sh"
    /// The ConfigMap key and file name of the validation script.
    public static let validateScript = "validate-notebook.py"
    public static var gitCloneScriptPath: String { scripts.mountPath + "/" + gitCloneScript }
    public static var validateScriptPath: String { scripts.mountPath + "/" + validateScript }

    /// The container that runs the notebook, and the two that fetch the notebooks.
    public static let validateContainerName = "validate"
    public static let gitCloneContainerName = "git-clone"
    public static let goldenCloneContainerName = "git-clone-golden"
    /// SSH clones only: writes the passwd file (see `passwd`) before the clone containers run.
    public static let passwdContainerName = "git-passwd"

    // MARK: Environment

    /// Environment variables nbgitops sets in the validation container. A user `env` entry
    /// with one of these names is an error (`NBG133`): the user's value would silently win
    /// (Kubernetes takes the last duplicate) and break the run, or be lost.
    /// Reserved whether or not a given job sets them (e.g. without a golden notebook).
    public static let reservedEnvNames: [String] = [
        "NBG_NOTEBOOK",
        "NBG_OUTPUT_NOTEBOOK",
        "NBG_GOLDEN_NOTEBOOK",
        "NBG_COMPARISON_CONFIG",
        "NBG_VALIDATION_CONFIG",
        "NBG_REPORT_FILE",
        "NBG_TERMINATION_LOG",
        "NBG_IMAGE",
        // The results store (ResultsStore): where, under which name, and the Job's own name
        // (the downward API's job-name label, whose hash suffix names the folder).
        "NBG_RESULTS_DIR",
        "NBG_RESULTS_S3_URL",
        "NBG_RESULTS_S3_REGION",
        "NBG_RESULTS_S3_CREDENTIALS",
        "NBG_RESULTS_S3_CA",
        "NBG_RESULTS_LOCATION",
        "NBG_RESULTS_NAME",
        "NBG_JOB_NAME",
        // Read by validate-notebook.py but deliberately not set: the notebook's own kernelspec
        // and no per-cell limit (the Job's activeDeadlineSeconds bounds the run). Reserved so
        // that a future nbgitops can set them without breaking specs.
        "NBG_KERNEL",
        "NBG_CELL_TIMEOUT_SECONDS",
        // A debugging switch of the script that skips execution: set by a user it would make
        // every validation pass without running the notebook.
        "NBG_SKIP_EXECUTION",
        "HOME",
        "PYTHONUSERBASE",
        "PIP_CACHE_DIR",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "IPYTHONDIR",
        "MPLCONFIGDIR",
    ]

    public static func isReservedEnvName(_ name: String) -> Bool {
        reservedEnvNames.contains(name)
    }

    /// The variables that point every tool's home, cache and config into the writable
    /// workspace (shared by all containers nbgitops runs).
    static let homeEnvironment: [(String, String)] = [
        ("HOME", homeDirectory),
        ("PYTHONUSERBASE", homeDirectory + "/.local"),
        ("PIP_CACHE_DIR", homeDirectory + "/.cache/pip"),
        ("XDG_CACHE_HOME", homeDirectory + "/.cache"),
        ("XDG_CONFIG_HOME", homeDirectory + "/.config"),
        ("XDG_DATA_HOME", homeDirectory + "/.local/share"),
        ("JUPYTER_CONFIG_DIR", homeDirectory + "/.jupyter"),
        ("JUPYTER_DATA_DIR", homeDirectory + "/.local/share/jupyter"),
        ("JUPYTER_RUNTIME_DIR", homeDirectory + "/.local/share/jupyter/runtime"),
        ("IPYTHONDIR", homeDirectory + "/.ipython"),
        ("MPLCONFIGDIR", homeDirectory + "/.cache/matplotlib"),
    ]

    // MARK: Identity

    /// GIDs set on plain Kubernetes (the Jupyter Docker Stacks' `users` group, which owns the
    /// images' conda and home directories), so files on PVCs are group-owned and writable
    /// consistently across runs. The UID is `security.runAsUser` (default 10001). On OpenShift
    /// no GID is set: `restricted-v2` assigns them from the namespace's ranges.
    public static let kubernetesRunAsGroup = 100
    public static let kubernetesFSGroup = 100
}

/// Containers the platform adds to pods nbgitops emits, with no securityContext nbgitops can
/// set (see `EnvironmentPlanner.admittingInjectedContainers`).
enum InjectedContainers {
    /// Why `object`'s pods carry injected containers Pod Security `restricted` refuses; nil when
    /// they carry none.
    static func reason(_ object: PlannedObject) -> String? {
        if isTektonRun(object) {
            // Platform fact: Tekton's `set-security-context: "true"` would let the run stay in a restricted namespace.
            return
                "Tekton injects the prepare and place-scripts init containers and the affinity assistant with no securityContext unless its feature flag set-security-context is \"true\""
        }
        if object.kind == "InferenceService", !ModelPipelineRules.modelcarURIs([object]).isEmpty {
            // Platform fact: KServe serving OCI models as image volumes (no modelcar containers) would allow restricted.
            return
                "KServe injects the modelcar and modelcar-init containers for an oci:// model with no allowPrivilegeEscalation: false or capabilities.drop: [ALL]"
        }
        return nil
    }

    /// A Tekton PipelineRun or TaskRun (its pods get Tekton's init containers).
    static func isTektonRun(_ object: PlannedObject) -> Bool {
        (object.kind == "PipelineRun" || object.kind == "TaskRun") && object.apiVersion.hasPrefix("tekton.dev/")
    }
}
