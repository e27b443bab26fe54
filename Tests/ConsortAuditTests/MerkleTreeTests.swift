import ConsortAudit
import ConsortTesting
import Crypto
import Foundation
import Testing

@Suite("RFC 9162 Merkle trees")
struct MerkleTreeTests {
    struct InclusionVector: Decodable {
        var leafIdx: UInt64
        var treeSize: UInt64
        var root: String?
        var leafHash: String?
        var proof: [String]?
        var desc: String
        var wantErr: Bool
    }

    struct ConsistencyVector: Decodable {
        var size1: UInt64
        var size2: UInt64
        var root1: String?
        var root2: String?
        var proof: [String]?
        var desc: String
        var wantErr: Bool
    }

    static func files(_ kind: String) throws -> [URL] {
        let base = try TestData.directory().appendingPathComponent("merkle/\(kind)")
        let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
        return (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "json" }.sorted {
            $0.path < $1.path
        }
    }

    static func bytes(_ base64: String?) -> [UInt8] { base64.flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? [] }

    @Test("transparency-dev inclusion vectors")
    func inclusion() throws {
        let files = try Self.files("inclusion")
        #expect(files.count > 30)
        for file in files {
            let vector = try JSONDecoder().decode(InclusionVector.self, from: Data(contentsOf: file))
            let ok = MerkleTree.verifyInclusion(
                leafHash: Self.bytes(vector.leafHash), index: vector.leafIdx, size: vector.treeSize,
                proof: (vector.proof ?? []).map(Self.bytes), root: Self.bytes(vector.root)
            )
            #expect(ok == !vector.wantErr, "\(file.lastPathComponent): \(vector.desc)")
        }
    }

    @Test("transparency-dev consistency vectors")
    func consistency() throws {
        let files = try Self.files("consistency")
        #expect(files.count > 30)
        for file in files {
            let vector = try JSONDecoder().decode(ConsistencyVector.self, from: Data(contentsOf: file))
            let ok = MerkleTree.verifyConsistency(
                size1: vector.size1, size2: vector.size2, root1: Self.bytes(vector.root1),
                root2: Self.bytes(vector.root2),
                proof: (vector.proof ?? []).map(Self.bytes)
            )
            #expect(ok == !vector.wantErr, "\(file.lastPathComponent): \(vector.desc)")
        }
    }

    @Test("our proofs verify for every leaf and every prefix of trees up to 40 leaves")
    func ownProofs() {
        for size in 1...40 {
            let leaves = (0..<size).map {
                MerkleTree.leafHash(Array(SHA256.hash(data: [UInt8(truncatingIfNeeded: $0)])))
            }
            let root = MerkleTree.root(leafHashes: leaves)
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, leafHashes: leaves)
                #expect(
                    MerkleTree.verifyInclusion(
                        leafHash: leaves[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        leafHash: leaves[(index + 1) % size], index: UInt64(index), size: UInt64(size), proof: proof,
                        root: root) || size == 1)
            }
            for prefix in 1...size {
                let proof = MerkleTree.consistencyProof(size: prefix, leafHashes: leaves)
                let oldRoot = MerkleTree.root(leafHashes: leaves[0..<prefix])
                #expect(
                    MerkleTree.verifyConsistency(
                        size1: UInt64(prefix), size2: UInt64(size), root1: oldRoot, root2: root, proof: proof))
                if prefix < size {
                    var forged = oldRoot
                    forged[0] ^= 1
                    #expect(
                        !MerkleTree.verifyConsistency(
                            size1: UInt64(prefix), size2: UInt64(size), root1: forged, root2: root, proof: proof))
                }
            }
        }
    }
}
