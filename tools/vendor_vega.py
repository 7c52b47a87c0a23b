"""Vendor vega, vega-lite and vega-embed so that `dvc plots show` works offline.

Writes .dvc/plots/offline.html, the HTML template .dvc/config points DVC at:
the three packages' minified builds inline (DVC's own page loads them from a
CDN), vega-embed set to draw SVG, and DVC's `{plot_divs}`.  The packages'
licences go to .dvc/plots/vendor/.  Needs npm and the npm registry; run it
from the project root to change the versions:

    python tools/vendor_vega.py
"""

import subprocess
import tarfile
import tempfile
from pathlib import Path

# the major versions dvc-render's page uses (vega 5, vega-lite 5, vega-embed 6), latest of each
PACKAGES = {"vega": "5.33.1", "vega-lite": "5.23.0", "vega-embed": "6.29.0"}
OUT = Path(".dvc/plots")

PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>DVC plots</title>
{scripts}
<script>
// Draw every chart as SVG (crisp when zoomed, readable in the page's DOM) and report failures in the console.
window.vegaEmbed = ((embed) => (el, spec, opts) =>
  embed(el, spec, Object.assign({{renderer: "svg"}}, opts)).catch((error) => {{ console.error(error); throw error; }})
)(window.vegaEmbed);
</script>
<style>table {{ border-spacing: 15px; }} body {{ font-family: sans-serif; }}</style>
</head>
<body>
{{plot_divs}}
</body>
</html>
"""


def fetch(name: str, version: str, scratch: Path) -> tuple[str, str | None]:
    """The minified build of ``name@version`` from the npm registry, and its
    licence text when the package ships one (vega's npm package does not: its
    licence file is the repository's, github.com/vega/vega/LICENSE, kept here)."""
    tarball = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=scratch, check=True,
                             capture_output=True, text=True).stdout.split()[-1]
    with tarfile.open(scratch / tarball) as tf:
        names = tf.getnames()
        read = lambda member: tf.extractfile(f"package/{member}").read().decode("utf-8")  # noqa: E731
        return read(f"build/{name}.min.js"), read("LICENSE") if "package/LICENSE" in names else None


def main() -> None:
    scripts = []
    (OUT / "vendor").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for name, version in PACKAGES.items():
            code, licence = fetch(name, version, Path(scratch))
            if "</script" in code or "{plot_divs}" in code:
                raise SystemExit(f"{name}: its build cannot be inlined as is")
            licence_file = OUT / "vendor" / f"LICENSE-{name}.txt"
            if licence is not None:
                licence_file.write_text(licence)
            elif not licence_file.is_file():
                raise SystemExit(f"{name}: the package ships no licence; put its repository's in {licence_file}")
            scripts.append(f"<!-- npm package {name}@{version}; licence: vendor/LICENSE-{name}.txt -->\n"
                           f"<script>{code}</script>")
    (OUT / "offline.html").write_text(PAGE.format(scripts="\n".join(scripts)))
    print(f"{OUT / 'offline.html'}: " + ", ".join(f"{n} {v}" for n, v in PACKAGES.items()))


if __name__ == "__main__":
    main()
