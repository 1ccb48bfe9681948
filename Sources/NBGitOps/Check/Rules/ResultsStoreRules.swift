/// The rules this file defines (their ids; severity, title and waivability are in each `PlanRule`).
extension RuleID {
    public static let resultsStore: RuleID = "NBG138"
}

/// Where validation Jobs save their results (`ResultsStore`): a store nbgitops cannot plan is an
/// error, not a silently missing folder. Sharing a ReadWriteOnce results claim is NBG200's
/// (the claim is a volume of every validation pod); an absent claim NBG126's.
enum ResultsStoreRules {
    /// NBG138: the environment names a claim and a bucket, a bucket without credentials, or a
    /// path that escapes the store; a spec's `nbgitops.dev/results` annotation is malformed or
    /// names a bucket the environment has no connection for.
    static let unusable = PlanRule(
        .resultsStore, .error, "a results store is ambiguous, malformed or lacks its credentials", waivable: false
    ) { context in
        let results = context.environment.results
        let environment = context.environment.name
        if results.claim.value != nil, let bucket = results.s3Bucket.value {
            context.report(
                "environment '\(environment)' names both a results claim and the bucket '\(bucket)'; validation Jobs save to one store",
                at: results.s3Bucket.origin.location,
                help:
                    "keep results.claim or results.s3.bucket, not both (a spec may still name its own store with the \(AnnotationKey.results) annotation)",
                notes: [DiagnosticNote("results.claim: \(results.claim.origin)", at: results.claim.origin.location)],
                subject: nil)
        } else if let bucket = results.s3Bucket.value, results.s3CredentialsSecret.value == nil {
            context.report(
                "environment '\(environment)' saves results to the bucket '\(bucket)' but names no credentials",
                at: results.s3Bucket.origin.location,
                help:
                    "set results.s3.credentialsSecret to a Secret with keys \(S3Bucket.secretKeys.joined(separator: " and ")) (its name only; create it outside git)",
                subject: nil)
        }
        if let path = results.path.value, let problem = ResultsPaths.problem(with: path) {
            context.report(
                "results.path of environment '\(environment)' is unusable: \(problem)", at: results.path.origin.location,
                help: "write a relative folder such as validations/\(environment)", subject: nil)
        }
        for job in context.plannedJobs {
            guard let text = job.annotations[AnnotationKey.results] else { continue }
            let location = job.resultsAnnotationLocation
            switch ResultsAnnotation.parse(text) {
            case .failure(let error):
                context.report(
                    "annotation \(AnnotationKey.results) of '\(job.name.value)' is malformed: \(error.reason)",
                    at: location, help: "write none, pvc://CLAIM[/PATH] or s3://BUCKET[/PREFIX]",
                    subject: context.subject(for: job))
            case .success(.bucket(let name, _)) where results.s3CredentialsSecret.value == nil:
                context.report(
                    "'\(job.name.value)' saves its results to the bucket '\(name)', but environment '\(environment)' names no credentials for it",
                    at: location,
                    help:
                        "set results.s3.credentialsSecret (and results.s3.endpoint for a store other than AWS) in an overlay of '\(environment)'",
                    notes: [DiagnosticNote("results.s3.credentialsSecret: \(results.s3CredentialsSecret.origin)")],
                    subject: context.subject(for: job))
            case .success: continue
            }
        }
    }
}
