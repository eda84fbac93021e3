"""Forms of the 数据导入导出 page (layers/pages/views/data.py)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings

from importers.tasks import EXPORT_FORMATS, EXPORT_LAYERS, IMPORT_LAYERS, UPLOAD_SUFFIXES

UPLOAD_MAX_BYTES = 200 * 1024 * 1024
"""The largest upload (GRIDMAP_UPLOAD_MAX_BYTES overrides; nginx's client_max_body_size is 200m)."""

CRS_CHOICES = [
    ("", "使用文件自带的坐标系（表格文件须选择）"),
    ("wgs84", "WGS84 经纬度（GPS）"),
    ("cgcs2000", "CGCS2000 经纬度（国家2000）"),
    ("gcj02", "GCJ-02（高德、腾讯地图坐标）"),
    ("bd09", "BD-09（百度地图坐标）"),
    ("EPSG:3857", "Web 墨卡托（EPSG:3857）"),
    *[(f"EPSG:{4534 + i}", f"CGCS2000 高斯-克吕格 3 度带，中央经线 {75 + 3 * i}°E（EPSG:{4534 + i}）")
      for i in range(21)],
]


def upload_max_bytes() -> int:
    return int(getattr(settings, "GRIDMAP_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES))


class ImportForm(forms.Form):
    layer = forms.ChoiceField(label="数据类型", choices=[(k, v.label) for k, v in IMPORT_LAYERS.items()])
    file = forms.FileField(label="文件", help_text="CSV、XLSX、GeoJSON、GeoPackage、KML，或压缩成 .zip 的 Shapefile")
    crs = forms.ChoiceField(label="坐标系", choices=CRS_CHOICES, required=False)
    dry_run = forms.BooleanField(label="仅检查（试运行）", required=False,
                                 help_text="做全部检查，不写入任何数据")
    allow_no_key = forms.BooleanField(label="无编号的户也导入（每次导入都新建）", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                f"不支持的文件类型“{suffix or '无扩展名'}”：请上传 {'、'.join(UPLOAD_SUFFIXES)} 文件"
                "（Shapefile 请连同 .dbf、.prj 等压缩成一个 .zip）")
        limit = upload_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(f"文件太大（{upload.size / 1048576:.1f} MB）：上限为 {limit / 1048576:.0f} MB")
        return upload


class ExportForm(forms.Form):
    layer = forms.ChoiceField(label="图层", choices=list(EXPORT_LAYERS.items()))
    fmt = forms.ChoiceField(label="格式", choices=list(EXPORT_FORMATS.items()))
    unmasked = forms.BooleanField(label="含完整个人信息（身份证号、电话、姓名；导出将被记录）", required=False)
