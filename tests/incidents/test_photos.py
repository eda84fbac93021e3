"""Photos on incidents: turned upright, shrunk, stripped of every metadata (GPS above all),
stored under random names and shown only to those who may see the incident."""

from __future__ import annotations

import io
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import ExifTags, Image

from layers.incidents import lifecycle
from layers.incidents.models import Incident, IncidentPhoto
from layers.incidents.models import IncidentStatus as S
from layers.incidents.photos import MAX_LONG_SIDE_PX, THUMB_LONG_SIDE_PX
from tests.factories import category, step_kwargs
from tests.fixtures_world import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def gps_jpeg(width: int = 3000, height: int = 2000, orientation: int = 6) -> bytes:
    """A phone-like JPEG: left half red, right half blue, with GPS, camera model and an
    orientation tag (6: the viewer turns it 90° clockwise)."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Model] = "GridPhone 9"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 39.0, 22.0),
                ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (104.0, 3.0, 54.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    # The test photo really carries what must be removed.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    return data


def _report(client, world, *files, **extra):
    return client.post("/incidents/new/", {
        "category": category("street_order").id, "description": "井盖缺失", "lon": "104.065", "lat": "30.656",
        "photos": list(files), **extra})


def test_report_with_photo_stores_an_upright_small_jpeg_without_metadata(world, _media):
    c = client_for(world.worker_w)
    response = _report(c, world, SimpleUploadedFile("现场 王小明家门口.jpg", gps_jpeg(), "image/jpeg"))
    incident = Incident.objects.get(description="井盖缺失")
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    photo = incident.photos.get()
    assert (photo.stage, photo.uploaded_by) == (IncidentPhoto.Stage.REPORT, world.worker_w)
    # Random name under the media folder: nothing of the user's file name.
    assert photo.file.name.startswith("incident_photos/") and "王小明" not in photo.file.name
    assert "现场" not in photo.file.name and photo.file.name.endswith(".jpg")
    path = _media / photo.file.name
    raw = path.read_bytes()
    stored = Image.open(path)
    assert stored.format == "JPEG"
    # No EXIF at all (no GPS, no camera, no orientation left to apply twice).
    assert len(stored.getexif()) == 0 and "exif" not in stored.info
    assert b"Exif" not in raw and b"GridPhone" not in raw
    # Turned by the orientation tag (3000×2000 shown upright as 2000×3000), then shrunk.
    assert stored.size == (photo.width, photo.height) == (1067, MAX_LONG_SIDE_PX)
    # The left (red) half of the sensor image is on top once turned clockwise.
    top, bottom = stored.getpixel((533, 100)), stored.getpixel((533, 1500))
    assert top[0] > 150 and top[2] < 100 and bottom[2] > 150 and bottom[0] < 100
    thumb = Image.open(_media / photo.thumbnail.name)
    assert max(thumb.size) == THUMB_LONG_SIDE_PX and len(thumb.getexif()) == 0


def test_small_png_with_transparency_is_kept_at_its_size(world, _media):
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    c = client_for(world.worker_w)
    _report(c, world, SimpleUploadedFile("透明.png", out.getvalue(), "image/png"))
    photo = IncidentPhoto.objects.get()
    stored = Image.open(_media / photo.file.name)
    assert stored.size == (400, 300) and stored.getpixel((10, 10)) == (255, 255, 255)


def test_non_image_is_refused_naming_the_file(world):
    c = client_for(world.worker_w)
    response = _report(c, world, SimpleUploadedFile("记录.txt", b"not a photo at all", "image/jpeg"))
    assert response.status_code == 200
    assert "文件「记录.txt」不是图片" in response.content.decode()
    assert not Incident.objects.filter(description="井盖缺失").exists() and not IncidentPhoto.objects.exists()


def test_truncated_jpeg_is_refused_naming_the_file(world):
    c = client_for(world.worker_w)
    response = _report(c, world, SimpleUploadedFile("半张.jpg", gps_jpeg()[:3000], "image/jpeg"))
    assert response.status_code == 200 and "「半张.jpg」" in response.content.decode()
    assert not Incident.objects.filter(description="井盖缺失").exists()


def test_oversize_photo_is_refused_naming_the_file_and_the_limit(world, settings):
    settings.GRIDMAP_PHOTO_MAX_BYTES = 50_000
    c = client_for(world.worker_w)
    response = _report(c, world, SimpleUploadedFile("大图.jpg", gps_jpeg() + b"\0" * 60_000, "image/jpeg"))
    body = response.content.decode()
    assert response.status_code == 200 and "照片「大图.jpg」过大" in body and "MB" in body
    assert not Incident.objects.filter(description="井盖缺失").exists()


def _photo_of_west_incident(world) -> IncidentPhoto:
    _report(client_for(world.worker_w), world, SimpleUploadedFile("a.jpg", gps_jpeg(600, 400, 1), "image/jpeg"))
    return IncidentPhoto.objects.get()


def test_photo_is_served_only_to_those_who_see_the_incident(world):
    photo = _photo_of_west_incident(world)
    url = f"/incidents/{photo.incident_id}/photos/{photo.pk}/"
    own = client_for(world.worker_w).get(url)
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    assert "private" in own["Cache-Control"] and "public" not in own["Cache-Control"]
    body = b"".join(own.streaming_content)
    assert Image.open(io.BytesIO(body)).size == (600, 400)
    thumb = client_for(world.worker_w).get(url + "thumb/")
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size) == 320
    # The other grid's worker: as if it did not exist. Anonymous: the login.
    assert client_for(world.worker_e).get(url).status_code == 404
    assert client_for(world.worker_e).get(url + "thumb/").status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    # The photo's id under another incident's address: 404 too.
    assert client_for(world.admin).get(f"/incidents/{world.iw.pk}/photos/{photo.pk}/").status_code == 404
    # No public media URL serves the file.
    assert client_for(world.admin).get("/media/" + photo.file.name).status_code == 404
    assert client_for(world.admin).get("/" + photo.file.name).status_code == 404


def test_case_page_shows_thumbnails_only_through_the_photo_view(world):
    photo = _photo_of_west_incident(world)
    html = client_for(world.worker_w).get(f"/incidents/{photo.incident_id}/").content.decode()
    assert f'src="/incidents/{photo.incident_id}/photos/{photo.pk}/thumb/"' in html
    assert photo.file.name not in html and "上报" in html


def test_feedback_and_verification_photos_keep_their_stage(world):
    incident = world.iw
    for step in (S.ACCEPTED, S.DISPATCHED, S.HANDLING):
        lifecycle.move(incident, step, **step_kwargs(incident, step))
    admin = client_for(world.admin)
    page = admin.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="photos"' in page and 'capture="environment"' in page
    admin.post(f"/incidents/{incident.pk}/", {"to_status": "feedback", "from_status": "handling",
                                              "photos": [SimpleUploadedFile("修好了.jpg", gps_jpeg(800, 600, 1))]})
    worker = client_for(world.worker_w)
    worker.post(f"/incidents/{incident.pk}/", {"to_status": "closed", "from_status": "feedback",
                                               "photos": [SimpleUploadedFile("核查.jpg", gps_jpeg(800, 600, 1))]})
    incident.refresh_from_db()
    assert incident.status == S.CLOSED
    assert [(p.stage, p.uploaded_by) for p in incident.photos.all()] == [
        (IncidentPhoto.Stage.FEEDBACK, world.admin), (IncidentPhoto.Stage.VERIFY, world.worker_w)]
    html = worker.get(f"/incidents/{incident.pk}/").content.decode()
    assert "处置反馈" in html and "核查" in html


def test_photo_with_a_step_that_takes_none_is_refused(world):
    c = client_for(world.worker_w)
    response = c.post(f"/incidents/{world.iw.pk}/", {"to_status": "accepted", "from_status": "reported",
                                                     "photos": [SimpleUploadedFile("x.jpg", gps_jpeg(80, 60, 1))]},
                      follow=True)
    assert "照片只能随「处理反馈」或「核查结案」一起上传" in response.content.decode()
    world.iw.refresh_from_db()
    assert world.iw.status == S.REPORTED and not IncidentPhoto.objects.exists()


def test_photos_go_into_the_backup(transactional_db, world, tmp_path):
    # Committed (transactional_db): pg_dump, another session, waits for the locks a transaction
    # holds, and the district's partitions made in the test's transaction are such a lock.
    photo = _photo_of_west_incident(world)
    call_command("backup", dir=tmp_path / "backups", keep=1, verbosity=0)
    (archive,) = (tmp_path / "backups").glob("gridmap-*.tar")
    with tarfile.open(archive) as tar:
        assert f"media/{photo.file.name}" in tar.getnames()


def test_image_of_too_many_pixels_is_refused_before_decoding(world):
    out = io.BytesIO()
    Image.new("1", (10_000, 7_000)).save(out, format="PNG")  # 70 megapixels in a few kB
    c = client_for(world.worker_w)
    response = _report(c, world, SimpleUploadedFile("全景.png", out.getvalue(), "image/png"))
    assert response.status_code == 200 and "照片「全景.png」像素过多" in response.content.decode()
    assert not Incident.objects.filter(description="井盖缺失").exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_an_incident_removes_its_photo_files(world, _media):
    photo = _photo_of_west_incident(world)
    files = [_media / photo.file.name, _media / photo.thumbnail.name]
    assert all(f.exists() for f in files)
    photo.incident.delete()
    assert not any(f.exists() for f in files) and not IncidentPhoto.objects.exists()
