import Crypto

/// RFC 9162 §2.1 Merkle tree hashes, inclusion and consistency proofs, over SHA-256.
///
/// Consort's leaves are audit entry hashes: leaf hash = SHA-256(0x00 ‖ entryHash).
package enum MerkleTree {
    package typealias Hash = [UInt8]

    package static let emptyRoot: Hash = Array(SHA256.hash(data: [UInt8]()))

    package static func leafHash(_ data: some Collection<UInt8>) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(data))
        return Array(hasher.finalize())
    }

    package static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// MTH over the given leaf hashes, in O(n) time and O(log n) space.
    package static func root(leafHashes: some Collection<Hash>) -> Hash {
        guard !leafHashes.isEmpty else { return Self.emptyRoot }
        // Stack of (subtree size, hash); equal-sized neighbours merge, as in a binary counter.
        var stack: [(Int, Hash)] = []
        for leaf in leafHashes {
            var node = (1, leaf)
            while let last = stack.last, last.0 == node.0 {
                stack.removeLast()
                node = (last.0 * 2, Self.nodeHash(last.1, node.1))
            }
            stack.append(node)
        }
        var hash = stack.removeLast().1
        while let last = stack.popLast() { hash = Self.nodeHash(last.1, hash) }
        return hash
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of `leafHashes`.
    package static func inclusionProof(index: Int, leafHashes: [Hash]) -> [Hash] {
        precondition(index >= 0 && index < leafHashes.count, "leaf index out of range")
        return Self.path(index, leafHashes[...])
    }

    private static func path(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        guard leaves.count > 1 else { return [] }
        let k = Self.split(leaves.count)
        let start = leaves.startIndex
        if m < k {
            return Self.path(m, leaves[start..<start + k]) + [Self.root(leafHashes: leaves[(start + k)...])]
        }
        return Self.path(m - k, leaves[(start + k)...]) + [Self.root(leafHashes: leaves[start..<start + k])]
    }

    /// PROOF(m, D[n]): the consistency proof between the first `size` leaves and all of `leafHashes`.
    package static func consistencyProof(size: Int, leafHashes: [Hash]) -> [Hash] {
        precondition(size > 0 && size <= leafHashes.count, "consistency proof needs 0 < size <= tree size")
        return Self.subproof(size, leafHashes[...], true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<Hash>, _ complete: Bool) -> [Hash] {
        let n = leaves.count
        if m == n { return complete ? [] : [Self.root(leafHashes: leaves)] }
        let k = Self.split(n)
        let start = leaves.startIndex
        if m <= k {
            return Self.subproof(m, leaves[start..<start + k], complete) + [
                Self.root(leafHashes: leaves[(start + k)...])
            ]
        }
        return Self.subproof(m - k, leaves[(start + k)...], false) + [Self.root(leafHashes: leaves[start..<start + k])]
    }

    /// RFC 9162 §2.1.3.2.
    package static func verifyInclusion(leafHash: Hash, index: UInt64, size: UInt64, proof: [Hash], root: Hash) -> Bool
    {
        guard index < size, leafHash.count == 32, root.count == 32, proof.allSatisfy({ $0.count == 32 }) else {
            return false
        }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = Self.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = Self.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2, with the edge cases of transparency-dev/merkle.
    package static func verifyConsistency(size1: UInt64, size2: UInt64, root1: Hash, root2: Hash, proof: [Hash]) -> Bool
    {
        if size2 < size1 { return false }
        if size1 == size2 { return size1 > 0 && proof.isEmpty && root1 == root2 }
        if size1 == 0 || proof.isEmpty { return false }
        guard root1.count == 32, root2.count == 32, proof.allSatisfy({ $0.count == 32 }) else { return false }
        var path = proof
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = Self.nodeHash(c, fr)
                sr = Self.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = Self.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == root1 && sr == root2 && sn == 0
    }
}
