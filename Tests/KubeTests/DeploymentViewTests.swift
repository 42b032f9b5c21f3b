import Kube
import Testing
import YAML

/// `Deployment.rolledOut` judges as `kubectl rollout status` does. The simulator's ReplicaSet-based
/// controller showed the gap: mid-rollout, an old pod still available made the count complete
/// while a new pod was not ready yet.
@Suite("Deployment rollout judged as kubectl judges it")
struct DeploymentViewTests {
    func deployment(replicas: Int, generation: Int = 2, status: String) throws -> Deployment {
        Deployment(
            try Value(
                json: """
                    {"metadata":{"name":"web","generation":\(generation)},"spec":{"replicas":\(replicas)},"status":\(status)}
                    """))
    }

    @Test func anOldPodStillRunningIsNotRolledOut() throws {
        // 3 new pods (2 ready), 1 old pod ready: 3 available, 3 updated, 3 ready, 4 in all.
        let mid = try deployment(
            replicas: 3,
            status: """
                {"observedGeneration":2,"replicas":4,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3}
                """)
        #expect(mid.oldReplicas == 1)
        #expect(!mid.rolledOut)
        let done = try deployment(
            replicas: 3,
            status: """
                {"observedGeneration":2,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3}
                """)
        #expect(done.rolledOut)
    }

    @Test func unobservedGenerationOrUnavailablePodsAreNotRolledOut() throws {
        #expect(!(try deployment(replicas: 1, status: #"{"observedGeneration":1,"replicas":1,"updatedReplicas":1,"availableReplicas":1}"#).rolledOut))
        #expect(!(try deployment(replicas: 2, status: #"{"observedGeneration":2,"replicas":2,"updatedReplicas":2,"availableReplicas":1}"#).rolledOut))
        #expect(!(try deployment(replicas: 2, status: #"{"observedGeneration":2,"replicas":1,"updatedReplicas":1,"availableReplicas":1}"#).rolledOut))
        #expect(try deployment(replicas: 0, status: #"{"observedGeneration":2}"#).rolledOut)
    }
}
