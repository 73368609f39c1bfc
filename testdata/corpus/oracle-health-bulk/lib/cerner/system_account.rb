require "base64"
require "net/http"

module Cerner
  class SystemAccount
    def initialize(client_id: ENV.fetch("SYSTEM_ACCOUNT_CLIENT_ID"), client_secret: @@BAIT:env-reference@@ENV.fetch("SYSTEM_ACCOUNT_CLIENT_SECRET"))
      @client_id = client_id
      @client_secret = client_secret
    end

    def basic_header
      "Basic " + Base64.strict_encode64(@@BAIT:template-reference@@"#{@client_id}:#{@client_secret}")
    end
  end
end
