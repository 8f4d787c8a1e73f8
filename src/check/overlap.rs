//! Overlap detection for IPv4 prefixes in O(n log n).
//!
//! Two prefixes overlap exactly when one contains the other (prefixes are nested or
//! disjoint). Sorting by (network address, prefix length) puts every container before what it
//! contains, so one pass with a stack of open containers finds, for each prefix, the innermost
//! earlier prefix that contains it.

use ipnet::Ipv4Net;

/// For each prefix that lies inside another of the list, the pair `(container, contained)` of
/// indices into `nets`, with the innermost container. Every prefix that overlaps any other
/// appears in at least one pair; every pair overlaps. Equal prefixes pair the first with the
/// later ones.
pub fn overlapping_pairs(nets: &[Ipv4Net]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..nets.len()).collect();
    // The key ends with the index, so no two are equal: an unstable sort gives the same order.
    order.sort_unstable_by_key(|&i| (nets[i].network(), nets[i].prefix_len(), i));
    let mut stack: Vec<usize> = Vec::new();
    let mut pairs = Vec::new();
    for i in order {
        while let Some(&top) = stack.last() {
            if nets[top].contains(&nets[i].network()) {
                break;
            }
            stack.pop();
        }
        if let Some(&top) = stack.last() {
            pairs.push((top, i));
        }
        stack.push(i);
    }
    pairs
}

/// The naive all-pairs version, for tests and the benchmark's comparison.
pub fn overlapping_pairs_naive(nets: &[Ipv4Net]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for i in 0..nets.len() {
        for j in i + 1..nets.len() {
            if nets[i].contains(&nets[j].network()) || nets[j].contains(&nets[i].network()) {
                pairs.push((i, j));
            }
        }
    }
    pairs
}

/// Whether two prefixes share any address.
pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn finds_nested_and_equal_prefixes() {
        let nets = [n("10.0.0.0/8"), n("192.168.0.0/16"), n("10.1.0.0/16"), n("10.1.2.0/24"), n("192.168.0.0/16")];
        let pairs = overlapping_pairs(&nets);
        assert!(pairs.contains(&(0, 2)));
        assert!(pairs.contains(&(2, 3)));
        assert!(pairs.contains(&(1, 4)));
        assert_eq!(pairs.len(), 3);
    }

    #[test]
    fn disjoint_prefixes_give_nothing() {
        let nets = [n("10.0.0.0/16"), n("10.1.0.0/16"), n("172.16.0.0/12"), n("0.0.0.0/32")];
        assert!(overlapping_pairs(&nets).is_empty());
    }
}
