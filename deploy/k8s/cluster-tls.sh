#!/usr/bin/env bash
# Makes the cluster CA and the certificate the nodes present on the cluster
# port, and prints Secret h2h-cluster-tls (ca.crt, tls.crt, tls.key) for
# the prod overlay, which mounts it and sets cluster.tls_*:
#
#   deploy/k8s/cluster-tls.sh DIR [NAMESPACE] [DAYS] | kubectl apply -f -
#
# DIR keeps the CA's key (ca.key): keep it offline. Run again with the same
# DIR to renew the node certificate under the same CA (nodes read the files
# for every new connection; restart them to be sure). Every node presents
# the same certificate: peers check the cluster CA's signature, not host
# names (CAF's OpenSSL module), so a certificate per pod adds nothing.
# cert-manager's Certificate Secrets carry the same three keys and do as
# well.
set -euo pipefail
dir=${1:?usage: cluster-tls.sh DIR [NAMESPACE] [DAYS]}
namespace=${2:-h2h}
days=${3:-365}
mkdir -p "$dir"
chmod 700 "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
if [ ! -f "$dir/ca.key" ]; then
  openssl req -x509 "${ec[@]}" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -days 3650 -subj "/CN=h2h cluster CA" 2>/dev/null
fi
openssl req "${ec[@]}" -keyout "$dir/tls.key" -out "$dir/tls.csr" \
  -subj "/CN=h2h node" 2>/dev/null
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
  -CAcreateserial -out "$dir/tls.crt" -days "$days" 2>/dev/null
rm -f "$dir/tls.csr"
openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null
kubectl create secret generic h2h-cluster-tls --namespace "$namespace" \
  --from-file=ca.crt="$dir/ca.crt" --from-file=tls.crt="$dir/tls.crt" \
  --from-file=tls.key="$dir/tls.key" --dry-run=client -o yaml
