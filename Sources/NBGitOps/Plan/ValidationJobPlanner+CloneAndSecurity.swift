/// The clone containers and the security context of a validation pod (part of `ValidationJobPlanner`).
extension ValidationJobPlanner {
    // MARK: Clone containers

    static func cloneContainer(
        name: String, source: NotebookSource, checkoutDirectory: String, sshVolume: PodLayout.ReservedVolume,
        httpsVolume: PodLayout.ReservedVolume, context: PlanContext
    ) -> (container: ManifestNode, volume: ManifestNode?) {
        var environment: [ManifestNode] = [
            env("NBG_GIT_URL", source.git.url.value),
            env("NBG_GIT_REF", source.git.ref.value),
            env("NBG_CHECKOUT_DIR", checkoutDirectory),
            // The resolved commit shows up in the pod status (`kubectl get pod -o yaml`).
            env("NBG_RESOLVED_SHA_FILE", "/dev/termination-log"),
            env("HOME", PodLayout.homeDirectory),
        ]
        var mounts = [
            mount(PodLayout.workspace), mount(PodLayout.home), mount(PodLayout.tmp), mount(PodLayout.scripts),
        ]
        var volume: ManifestNode?
        if let secret = source.git.credentialsSecret?.value {
            // Files from a Secret volume in this container only (not environment variables,
            // which every process of the container and `kubectl describe` tooling can see).
            let credentials: (variable: String, volume: PodLayout.ReservedVolume)?
            switch source.git.transport {
            case .https, .http: credentials = ("NBG_GIT_CREDENTIALS_DIR", httpsVolume)
            case .ssh: credentials = ("NBG_SSH_DIR", sshVolume)
            case .git: credentials = nil  // no authentication; the Check stage reports the useless secret
            }
            if let credentials {
                environment.append(env(credentials.variable, credentials.volume.mountPath))
                mounts.append(mount(credentials.volume))
                volume = [
                    "name": .string(credentials.volume.name),
                    "secret": ["secretName": .string(secret), "defaultMode": 0o400],
                ]
            }
        }
        if source.git.transport == .ssh {
            // OpenSSH needs a passwd entry for the UID: `git-passwd` wrote one.
            mounts.append(
                .object([
                    ("name", .string(PodLayout.passwd.name)),
                    ("mountPath", "/etc/passwd"),
                    ("subPath", .string(PodLayout.passwdFile)),
                    ("readOnly", true),
                ]))
        }
        let container = ManifestNode.object([
            ("name", .string(name)),
            ("image", .string(context.image(context.environment.images.gitClone.value))),
            ("command", ["sh", .string(PodLayout.gitCloneScriptPath)]),
            ("workingDir", .string(PodLayout.workingDirectory)),
            ("env", .list(environment)),
            (
                "resources",
                [
                    "requests": ["cpu": "100m", "memory": "128Mi"],
                    "limits": ["cpu": "1", "memory": "1Gi"],
                ]
            ),
            ("securityContext", containerSecurityContext(readOnlyRootFilesystem: true)),
            ("terminationMessagePolicy", "FallbackToLogsOnError"),
            ("volumeMounts", .list(mounts)),
        ])
        return (container, volume)
    }

    /// SSH clones: writes a copy of the image's /etc/passwd plus an entry for the pod's UID
    /// into the `passwd` emptyDir (`git-clone.sh` with NBG_PASSWD_FILE), in the same image.
    static func passwdContainer(context: PlanContext) -> ManifestNode {
        .object([
            ("name", .string(PodLayout.passwdContainerName)),
            ("image", .string(context.image(context.environment.images.gitClone.value))),
            ("command", ["sh", .string(PodLayout.gitCloneScriptPath)]),
            (
                "env",
                .list([
                    env("NBG_PASSWD_FILE", PodLayout.passwd.mountPath + "/" + PodLayout.passwdFile),
                    env("HOME", PodLayout.homeDirectory),
                ])
            ),
            (
                "resources",
                [
                    "requests": ["cpu": "10m", "memory": "16Mi"],
                    "limits": ["cpu": "100m", "memory": "64Mi"],
                ]
            ),
            ("securityContext", containerSecurityContext(readOnlyRootFilesystem: true)),
            ("terminationMessagePolicy", "FallbackToLogsOnError"),
            ("volumeMounts", .list([mount(PodLayout.passwd), mount(PodLayout.scripts)])),
        ])
    }

    /// The files the kubelet's token automount would provide, as an explicit projected volume.
    static func apiAccessVolume() -> ManifestNode {
        .object([
            ("name", .string(PodLayout.apiAccess.name)),
            (
                "projected",
                .object([
                    ("defaultMode", 0o444),
                    (
                        "sources",
                        .list([
                            [
                                "serviceAccountToken": [
                                    "path": "token", "expirationSeconds": .int(PodLayout.apiTokenExpirationSeconds),
                                ]
                            ],
                            ["configMap": ["name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                            [
                                "downwardAPI": [
                                    "items": [
                                        [
                                            "path": "namespace",
                                            "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"],
                                        ]
                                    ]
                                ]
                            ],
                        ])
                    ),
                ])
            ),
        ])
    }

    /// The spec's `resources` with the environment's `defaults.resources` filled in resource by
    /// resource; the spec's values always win. A default request is added only where the spec
    /// sets neither a request nor a limit for that resource (Kubernetes copies a lone limit into
    /// the request); a default limit only where the spec sets no limit and its request is not
    /// above the default (the API rejects a request above its limit). What stays unset is
    /// reported by NBG274.
    static func withDefaults(_ resources: ManifestNode?, _ defaults: SpecDefaults) -> ManifestNode? {
        var defaulted: [String: Traced<String>] = [:]
        return withDefaults(resources, defaults, defaulted: &defaulted)
    }

    /// As above, recording in `defaulted` each `requests.<name>` / `limits.<name>` a default
    /// filled in, with the overlay line that set it.
    static func withDefaults(
        _ resources: ManifestNode?, _ defaults: SpecDefaults, defaulted: inout [String: Traced<String>]
    ) -> ManifestNode? {
        if defaults.requests.isEmpty && defaults.limits.isEmpty { return resources }
        var result = resources ?? .map([])
        var requests = result["requests"] ?? .map([])
        var limits = result["limits"] ?? .map([])
        for name in SpecDefaults.resourceNames {
            var defaultedRequest = false
            if let traced = defaults.requests[name], requests[name] == nil, limits[name] == nil {
                requests[name] = .string(traced.value)
                defaulted["requests.\(name)"] = traced
                defaultedRequest = true
            }
            if let traced = defaults.limits[name], limits[name] == nil {
                let value = traced.value
                if let request = requests[name] {
                    guard let requested = Quantity.value(request), let limit = Quantity.value(value), requested <= limit
                    else {
                        // Defaults that contradict each other (request above limit) add neither.
                        if defaultedRequest {
                            requests[name] = nil
                            defaulted["requests.\(name)"] = nil
                        }
                        continue
                    }
                }
                limits[name] = .string(value)
                defaulted["limits.\(name)"] = traced
            }
        }
        result["requests"] = requests.isEmptyCollection ? nil : requests
        result["limits"] = limits.isEmptyCollection ? nil : limits
        return result.isEmptyCollection ? nil : result
    }

    // MARK: Security

    /// `restricted` Pod Security on both platforms. On OpenShift no IDs are written:
    /// `restricted-v2` assigns them and rejects pods that ask for others.
    static func podSecurityContext(_ platform: Platform, security: SecuritySettings) -> ManifestNode {
        switch platform {
        case .openshift:
            // A pinned UID range (see SecuritySettings.pinnedUID): the range's first UID, which
            // restricted-v2's MustRunAsRange admits; otherwise the SCC assigns one.
            return .object([
                ("runAsNonRoot", true),
                ("runAsUser", security.pinnedUID(on: platform).map { .int($0) }),
                ("seccompProfile", ["type": "RuntimeDefault"]),
            ])
        case .kubernetes:
            return [
                "runAsNonRoot": true,
                "runAsUser": .int(security.runAsUser.value),
                "runAsGroup": .int(PodLayout.kubernetesRunAsGroup),
                "fsGroup": .int(PodLayout.kubernetesFSGroup),
                "seccompProfile": ["type": "RuntimeDefault"],
            ]
        }
    }

    static func containerSecurityContext(readOnlyRootFilesystem: Bool) -> ManifestNode {
        .object([
            ("allowPrivilegeEscalation", false),
            ("capabilities", ["drop": ["ALL"]]),
            ("readOnlyRootFilesystem", readOnlyRootFilesystem ? true : nil),
            ("runAsNonRoot", true),
            ("seccompProfile", ["type": "RuntimeDefault"]),
        ])
    }
}
