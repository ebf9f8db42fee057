"""Staff photos are shrunk to a few kilobytes before citizens' phones ever load them."""
import io

from PIL import Image

from feedback_app.extensions import db

from . import factories


def test_photo_command_shrinks_a_large_photo(runner, client, tmp_path):
    point = factories.counter()
    officer = factories.staff(point.unit, name="Dewi Lestari")
    factories.on_duty(officer, point)
    big = tmp_path / "dewi.png"
    Image.effect_noise((1200, 1600), 80).convert("RGB").save(big)
    result = runner.invoke(args=["staff", "photo", officer.nip, str(big)])
    assert result.exit_code == 0, result.output
    photo = client.get(f"/staff/{officer.id}/photo")
    assert photo.mimetype == "image/jpeg" and len(photo.data) <= 8 * 1024
    assert Image.open(io.BytesIO(photo.data)).size == (96, 96)
    assert f'src="/staff/{officer.id}/photo"' in client.get("/s/LKT-01").get_data(as_text=True)


def test_photo_command_explains_bad_input(runner, app, tmp_path):
    point = factories.counter()
    officer = factories.staff(point.unit)
    not_image = tmp_path / "cv.txt"
    not_image.write_text("curriculum vitae")
    result = runner.invoke(args=["staff", "photo", officer.nip, str(not_image)])
    assert result.exit_code != 0 and "not an image" in result.output
    result = runner.invoke(args=["staff", "photo", "999", str(not_image)])
    assert result.exit_code != 0 and "no staff member with NIP or code 999" in result.output
    db.session.refresh(officer)
    assert officer.photo is None


def test_no_photo_means_404_and_no_img_tag(client, app):
    point = factories.counter()
    officer = factories.staff(point.unit)
    factories.on_duty(officer, point)
    assert client.get(f"/staff/{officer.id}/photo").status_code == 404
    assert "<img" not in client.get("/s/LKT-01").get_data(as_text=True)
