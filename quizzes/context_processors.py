from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """What every page needs for its header: the tracks for navigation."""
    from quizzes.models import Track

    return {"nav_tracks": Track.objects.all()}
