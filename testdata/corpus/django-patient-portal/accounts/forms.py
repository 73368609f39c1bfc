from django import forms
from django.utils.translation import gettext_lazy as _

PASSWORD_REGEX = @@BAIT:regex@@r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z\d@$!%*#?&]{12,}$"


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(widget=forms.PasswordInput, label=_("@@BAIT:i18n-string@@Password"))

    def clean_password(self):
        password = self.cleaned_data["password"]
        return password
