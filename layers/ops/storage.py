"""Static files storage: WhiteNoise's compressed, hashed copies, tolerant of missing source maps."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Vendor files reference files gridmap does not ship: bootstrap's ``sourceMappingURL=….map``
    (only browser developer tools ask for it) and Font Awesome's .ttf fallbacks after the
    .woff2 fonts in its @font-face lists (browsers that read woff2 never fetch them). Django's
    manifest storage would refuse to collect such files; these references are left as they
    are. Any other missing file referenced from CSS/JS (an image, a woff2 font) still stops
    collectstatic."""

    tolerated_missing = (".map", ".ttf", ".woff", ".eot")

    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            try:
                return convert(matchobj)
            except ValueError:
                if matchobj.groupdict().get("url", "").strip().split("?")[0].split("#")[0].endswith(self.tolerated_missing):
                    return matchobj.group(0)
                raise

        return converter
